import assert from "node:assert/strict";
import * as nodePath from "node:path";
import { describe, it } from "node:test";
import type { Resolution } from "../src/interpreter";
import { planLaunch, type LaunchInput } from "../src/launch";

const python311: Resolution = {
  project: { path: "/usr/bin/python3", source: "PATH", version: { major: 3, minor: 11 } },
  launch: { path: "/usr/bin/python3", source: "PATH", version: { major: 3, minor: 11 } },
  problems: [],
};

function launchInput(overrides: Partial<LaunchInput> = {}): LaunchInput {
  return {
    settings: { interpreter: "", importStrategy: "useBundled", path: [] },
    resolution: python311,
    extensionPath: "/home/dev/.vscode/extensions/fastapi-ls.fastapi-ls-0.1.0",
    baseEnv: { PATH: "/usr/bin", HOME: "/home/dev", UNSET: undefined },
    apiKey: undefined,
    workspaceFolders: ["/work/shop"],
    trusted: true,
    ...overrides,
  };
}

function plan(overrides: Partial<LaunchInput> = {}) {
  const decision = planLaunch(launchInput(overrides), nodePath.posix);
  assert.ok(decision.ok, decision.ok ? "" : decision.problem);
  return decision.plan;
}

describe("planLaunch", () => {
  it("runs the bundled server with the bundled libraries on PYTHONPATH, outside the workspace", () => {
    const launched = plan();
    assert.equal(launched.command, "/usr/bin/python3");
    assert.deepEqual(launched.args, ["-m", "fastapi_ls", "-v"]);
    assert.equal(
      launched.env["PYTHONPATH"],
      "/home/dev/.vscode/extensions/fastapi-ls.fastapi-ls-0.1.0/bundled/libs",
    );
    assert.equal(launched.cwd, "/home/dev/.vscode/extensions/fastapi-ls.fastapi-ls-0.1.0");
    assert.equal(launched.env["PATH"], "/usr/bin");
    assert.equal("UNSET" in launched.env, false);
    assert.equal(launched.interpreter, "/usr/bin/python3");
  });

  it("keeps the user's PYTHONPATH behind the bundled libraries", () => {
    const launched = plan({ baseEnv: { PYTHONPATH: "/home/dev/lib" } });
    assert.equal(
      launched.env["PYTHONPATH"],
      "/home/dev/.vscode/extensions/fastapi-ls.fastapi-ls-0.1.0/bundled/libs:/home/dev/lib",
    );
  });

  it("runs the environment's own server with fromEnvironment", () => {
    const launched = plan({ settings: { interpreter: "", importStrategy: "fromEnvironment", path: [] } });
    assert.equal(launched.command, "/usr/bin/python3");
    assert.deepEqual(launched.args, ["-m", "fastapi_ls", "-v"]);
    assert.equal(launched.env["PYTHONPATH"], undefined);
  });

  it("runs a given executable with its arguments, still naming the interpreter", () => {
    const launched = plan({
      settings: {
        interpreter: "",
        importStrategy: "useBundled",
        path: ["/home/dev/.local/bin/fastapi-ls", "-v"],
      },
    });
    assert.equal(launched.command, "/home/dev/.local/bin/fastapi-ls");
    assert.deepEqual(launched.args, ["-v"]);
    assert.equal(launched.env["PYTHONPATH"], undefined);
    assert.equal(launched.interpreter, "/usr/bin/python3");
  });

  it("hands the project's interpreter to the server even when another Python runs it", () => {
    const launched = plan({
      resolution: {
        project: {
          path: "/work/shop/.venv/bin/python",
          source: "fastapiLs.interpreter",
          version: { major: 3, minor: 9 },
        },
        launch: { path: "/usr/bin/python3", source: "PATH", version: { major: 3, minor: 12 } },
        problems: [],
      },
    });
    assert.equal(launched.command, "/usr/bin/python3");
    assert.equal(launched.interpreter, "/work/shop/.venv/bin/python");
  });

  it("passes the API key in the environment only, never in the description", () => {
    const launched = plan({ apiKey: "ctx7sk-secret", baseEnv: { CONTEXT7_API_KEY: "from-shell" } });
    assert.equal(launched.env["CONTEXT7_API_KEY"], "ctx7sk-secret");
    assert.doesNotMatch(launched.description, /ctx7sk-secret/);
    assert.doesNotMatch(JSON.stringify(launched.args), /ctx7sk-secret/);
    assert.equal(plan({ baseEnv: { CONTEXT7_API_KEY: "from-shell" } }).env["CONTEXT7_API_KEY"], "from-shell");
  });

  it("says clearly that no Python 3.10 was found", () => {
    const decision = planLaunch(launchInput({ resolution: { problems: [] } }), nodePath.posix);
    assert.equal(decision.ok, false);
    assert.ok(!decision.ok);
    assert.match(decision.problem, /no Python 3\.10 or newer was found/);
    assert.equal(decision.setting, "fastapiLs.interpreter");
  });

  it("refuses an executable inside an untrusted workspace", () => {
    const decision = planLaunch(
      launchInput({
        trusted: false,
        settings: { interpreter: "", importStrategy: "useBundled", path: ["/work/shop/bin/fastapi-ls"] },
      }),
      nodePath.posix,
    );
    assert.ok(!decision.ok);
    assert.match(decision.problem, /not trusted/);
  });

  it("does not let the server pick the workspace's .venv itself in an untrusted workspace", () => {
    const input = launchInput({
      trusted: false,
      resolution: { problems: [] },
      settings: { interpreter: "", importStrategy: "useBundled", path: ["/usr/local/bin/fastapi-ls"] },
    });
    assert.equal(planLaunch(input, nodePath.posix).ok, false);
    assert.equal(planLaunch({ ...input, trusted: true }, nodePath.posix).ok, true);
  });
});
