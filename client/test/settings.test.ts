import assert from "node:assert/strict";
import { describe, it } from "node:test";
import manifest from "../../package.json";
import {
  LAUNCH_KEYS,
  readLaunchSettings,
  SERVER_DEFAULTS,
  toServerSettings,
  type SettingReader,
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

  it("keeps settings that choose an executable or an address out of workspace hands", () => {
    const restricted = manifest.capabilities.untrustedWorkspaces.restrictedConfigurations;
    for (const name of [
      "fastapiLs.interpreter",
      "fastapiLs.path",
      "fastapiLs.context7.baseUrl",
      "fastapiLs.context7.cacheDir",
    ]) {
      assert.ok(restricted.includes(name), `${name} is restricted`);
      assert.match(properties[name]?.scope ?? "", /^machine/, `${name} is machine scoped`);
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
