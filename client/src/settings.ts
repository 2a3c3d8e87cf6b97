/**
 * The extension's settings and what of them the server receives.
 *
 * Pure: settings are read through an injected reader, so the mapping is tested without VS Code.
 * The server validates every value itself and reports a wrong one in a message, so values are
 * passed on as the user wrote them; only unset ones get the defaults below.
 */

export const SECTION = "fastapiLs";

export type ImportStrategy = "useBundled" | "fromEnvironment";

/** Settings that decide which process runs: changing one restarts the server. */
export interface LaunchSettings {
  /** "" when unset. */
  readonly interpreter: string;
  readonly importStrategy: ImportStrategy;
  /** A `fastapi-ls` executable and its arguments; empty when unset. */
  readonly path: readonly string[];
}

export const LAUNCH_KEYS = ["interpreter", "importStrategy", "path"] as const;

/**
 * The server's settings and their defaults, mirroring server/fastapi_ls/settings.py.
 * `context7.apiKey` is deliberately absent: the key lives in VS Code's secret storage and
 * reaches the server only through its environment, never through settings or messages.
 */
export const SERVER_DEFAULTS = {
  snippets: {
    enabled: true,
    addImports: true,
    exclude: [] as string[],
  },
  hover: {
    enabled: true,
  },
  context7: {
    enabled: true,
    baseUrl: "https://context7.com/api",
    timeout: 15,
    cacheDir: "",
    cacheTtl: 604800,
    offline: false,
  },
} as const;

type Group = keyof typeof SERVER_DEFAULTS;

export type ServerSettings = {
  interpreter?: string;
} & { -readonly [G in Group]: { -readonly [K in keyof (typeof SERVER_DEFAULTS)[G]]?: unknown } };

/** Reads one setting of the `fastapiLs` section by its dotted key; undefined when unset. */
export type SettingReader = (key: string) => unknown;

/** Where a setting is set, as `WorkspaceConfiguration.inspect` tells it. */
export interface SettingValues {
  readonly globalValue?: unknown;
}

/** The address the API key is sent to: read from user settings only, trusted or not. */
export const USER_ONLY_KEYS = ["context7.baseUrl"] as const;

/**
 * Settings that choose what runs or where files are written: in an untrusted workspace they are
 * read from user settings only. Also in the manifest's `restrictedConfigurations`; read here
 * as well because their scope (`window`, so that they can be set in User settings of local and
 * remote windows alike) would otherwise let a workspace's settings.json choose them.
 */
export const UNTRUSTED_USER_ONLY_KEYS = [
  "interpreter",
  "importStrategy",
  "path",
  "context7.cacheDir",
] as const;

/**
 * A reader that takes the keys above from user settings only, when they must be; every other
 * key as VS Code resolves it (user, then workspace, then folder).
 */
export function guardedReader(
  read: SettingReader,
  inspect: (key: string) => SettingValues | undefined,
  trusted: boolean,
): SettingReader {
  const userOnly = new Set<string>([...USER_ONLY_KEYS, ...(trusted ? [] : UNTRUSTED_USER_ONLY_KEYS)]);
  return (key) => (userOnly.has(key) ? inspect(key)?.globalValue : read(key));
}

/** The settings in effect, for the log: what the server gets and the launch settings. */
export function describeSettings(launch: LaunchSettings, server: ServerSettings): string {
  return JSON.stringify({
    ...launch,
    snippets: server.snippets,
    hover: server.hover,
    context7: server.context7,
  });
}

export function readLaunchSettings(read: SettingReader): LaunchSettings {
  const interpreter = read("interpreter");
  const path = read("path");
  return {
    interpreter: typeof interpreter === "string" ? interpreter.trim() : "",
    importStrategy: read("importStrategy") === "fromEnvironment" ? "fromEnvironment" : "useBundled",
    path: Array.isArray(path) ? path.filter((part): part is string => typeof part === "string") : [],
  };
}

/**
 * What the server gets, both as `initializationOptions` and as the answer to its
 * `workspace/configuration` pull: the interpreter the client resolved (so a later pull never
 * replaces it with the raw setting) and every server setting, camelCase as the server reads them.
 */
export function toServerSettings(read: SettingReader, interpreter: string | undefined): ServerSettings {
  const settings: ServerSettings = { snippets: {}, hover: {}, context7: {} };
  for (const group of Object.keys(SERVER_DEFAULTS) as Group[]) {
    const defaults: Record<string, unknown> = SERVER_DEFAULTS[group];
    const values: Record<string, unknown> = settings[group];
    for (const [key, fallback] of Object.entries(defaults)) {
      const value = read(`${group}.${key}`);
      values[key] = value === undefined || value === null ? fallback : value;
    }
  }
  // An empty cache directory means "the default", which the server picks when the key is absent.
  if (settings.context7.cacheDir === "") {
    delete settings.context7.cacheDir;
  }
  if (interpreter) {
    settings.interpreter = interpreter;
  }
  return settings;
}
