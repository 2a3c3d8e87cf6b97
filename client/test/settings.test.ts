import assert from "node:assert/strict";
import { describe, it } from "node:test";
import manifest from "../../package.json";
import {
  describeSettings,
  guardedReader,
  LAUNCH_KEYS,
  readLaunchSettings,
  SERVER_DEFAULTS,
  toServerSettings,
  UNTRUSTED_USER_ONLY_KEYS,
  USER_ONLY_KEYS,
  type SettingReader,
  type SettingValues,
} from "../src/settings";

interface Property {
  readonly default?: unknown;
  readonly scope?: string;
  readonly enum?: readonly string[];
  readonly description?: string;
  readonly markdownDescription?: string;
}

const properties: Readonly<Record<string, Property>> = manifest.contributes.configuration.properties;

/** Settings as VS Code returns them: the manifest's default for every key the user did not set. */
function reader(user: Readonly<Record<string, unknown>> = {}): SettingReader {
  return (key) => (key in user ? user[key] : properties[`fastapiLs.${key}`]?.default);
}

describe("toServerSettings", () => {
  it("gives the server every server setting with the manifest's defaults, camelCase", () => {
    assert.deepEqual(toServerSettings(reader(), undefined), {
      snippets: { enabled: true, addImports: true, exclude: [] },
      hover: { enabled: true },
      context7: {
        enabled: true,
        baseUrl: "https://context7.com/api",
        timeout: 15,
        cacheTtl: 604800,
        offline: false,
      },
    });
  });

  it("uses its own defaults when VS Code gives nothing", () => {
    assert.deepEqual(
      toServerSettings(() => undefined, undefined),
      toServerSettings(reader(), undefined),
    );
  });

  it("passes the user's values on as written, for the server to validate", () => {
    const settings = toServerSettings(
      reader({
        "snippets.exclude": ["app-lifespan"],
        "context7.timeout": "soon",
        "context7.cacheDir": "~/c7",
      }),
      "/work/shop/.venv/bin/python",
    );
    assert.deepEqual(settings.snippets.exclude, ["app-lifespan"]);
    assert.equal(settings.context7.timeout, "soon");
    assert.equal(settings.context7.cacheDir, "~/c7");
    assert.equal(settings.interpreter, "/work/shop/.venv/bin/python");
  });

  it("never includes an API key, nor the client's launch settings", () => {
    const settings = toServerSettings(
      reader({
        "context7.apiKey": "ctx7sk-secret",
        interpreter: "python3",
        importStrategy: "fromEnvironment",
      }),
      undefined,
    );
    assert.doesNotMatch(JSON.stringify(settings), /ctx7sk-secret|apiKey|importStrategy|python3/);
  });
});

describe("the manifest", () => {
  it("contributes every server setting with the same default, and a description", () => {
    for (const [group, defaults] of Object.entries(SERVER_DEFAULTS)) {
      for (const [key, value] of Object.entries(defaults)) {
        const property = properties[`fastapiLs.${group}.${key}`];
        assert.ok(property, `fastapiLs.${group}.${key} is contributed`);
        assert.deepEqual(property.default, value, `default of fastapiLs.${group}.${key}`);
        assert.ok(property.description ?? property.markdownDescription);
      }
    }
  });

  it("contributes no API key setting: the key lives in the secret storage", () => {
    assert.deepEqual(
      Object.keys(properties).filter((name) => /apikey/i.test(name)),
      [],
    );
  });

  it("lets every setting be set in User settings, in local and remote windows alike", () => {
    for (const [name, property] of Object.entries(properties)) {
      assert.ok(
        property.scope === undefined || ["window", "resource"].includes(property.scope),
        `${name} has scope ${property.scope}`,
      );
    }
  });

  it("restricts, in untrusted workspaces, every setting the code reads from User settings only", () => {
    const restricted = manifest.capabilities.untrustedWorkspaces.restrictedConfigurations;
    for (const key of [...UNTRUSTED_USER_ONLY_KEYS, ...USER_ONLY_KEYS]) {
      assert.ok(restricted.includes(`fastapiLs.${key}`), `fastapiLs.${key} is restricted`);
    }
  });

  it("declares the launch settings and the trace enum", () => {
    for (const key of LAUNCH_KEYS) {
      assert.ok(properties[`fastapiLs.${key}`], key);
    }
    assert.deepEqual(properties["fastapiLs.importStrategy"]?.enum, ["useBundled", "fromEnvironment"]);
    assert.deepEqual(properties["fastapiLs.trace.server"]?.enum, ["off", "messages", "verbose"]);
  });
});

describe("readLaunchSettings", () => {
  it("defaults to the bundled server and no override", () => {
    assert.deepEqual(readLaunchSettings(reader()), {
      interpreter: "",
      importStrategy: "useBundled",
      path: [],
    });
  });

  it("reads the user's choices and ignores values of the wrong type", () => {
    assert.deepEqual(
      readLaunchSettings(
        reader({
          interpreter: "  ~/py/bin/python ",
          importStrategy: "fromEnvironment",
          path: ["fastapi-ls", 3, "-v"],
        }),
      ),
      { interpreter: "~/py/bin/python", importStrategy: "fromEnvironment", path: ["fastapi-ls", "-v"] },
    );
    assert.deepEqual(
      readLaunchSettings(reader({ interpreter: 7, importStrategy: "sideways", path: "fastapi-ls" })),
      {
        interpreter: "",
        importStrategy: "useBundled",
        path: [],
      },
    );
  });
});

describe("guardedReader", () => {
  // A user value and a workspace value for each key; VS Code's own resolution prefers the latter.
  const user: Record<string, unknown> = {
    interpreter: "/usr/bin/python3",
    importStrategy: "useBundled",
    path: [],
    "context7.cacheDir": "/home/dev/c7",
    "context7.baseUrl": "https://context7.com/api",
    "context7.timeout": 15,
  };
  const workspace: Record<string, unknown> = {
    interpreter: ".venv/bin/python",
    importStrategy: "fromEnvironment",
    path: ["./evil"],
    "context7.cacheDir": "./cache",
    "context7.baseUrl": "http://attacker.example/api",
    "context7.timeout": 30,
  };
  const read: SettingReader = (key) => workspace[key] ?? user[key];
  const inspect = (key: string): SettingValues => ({ globalValue: user[key] });

  it("takes the Context7 address from User settings only, even in a trusted workspace", () => {
    const trusted = guardedReader(read, inspect, true);
    assert.equal(trusted("context7.baseUrl"), "https://context7.com/api");
    assert.equal(trusted("interpreter"), ".venv/bin/python");
    assert.equal(trusted("context7.timeout"), 30);
  });

  it("takes what runs and where files go from User settings only in an untrusted workspace", () => {
    const untrusted = guardedReader(read, inspect, false);
    for (const key of UNTRUSTED_USER_ONLY_KEYS) {
      assert.deepEqual(untrusted(key), user[key], key);
    }
    assert.equal(untrusted("context7.timeout"), 30, "harmless settings still come from the workspace");
  });

  it("gives undefined (the default) when User settings do not set a guarded key", () => {
    const untrusted = guardedReader(read, () => ({}), false);
    assert.equal(untrusted("interpreter"), undefined);
    assert.equal(readLaunchSettings(untrusted).interpreter, "");
  });
});

describe("describeSettings", () => {
  it("lists the launch and server settings in effect, never a key", () => {
    const line = describeSettings(
      readLaunchSettings(reader({ interpreter: "python3" })),
      toServerSettings(reader({ "context7.apiKey": "ctx7sk-secret" }), "/usr/bin/python3"),
    );
    assert.deepEqual(Object.keys(JSON.parse(line) as object), [
      "interpreter",
      "importStrategy",
      "path",
      "snippets",
      "hover",
      "context7",
    ]);
    assert.match(line, /"interpreter":"python3"/);
    assert.doesNotMatch(line, /ctx7sk/);
  });
});
