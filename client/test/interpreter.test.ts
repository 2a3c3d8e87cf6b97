import assert from "node:assert/strict";
import * as nodePath from "node:path";
import { describe, it } from "node:test";
import {
  expandInterpreterSetting,
  isSupported,
  parsePythonVersion,
  resolveInterpreters,
  type InterpreterProbes,
  type PythonVersion,
  type ResolutionInput,
} from "../src/interpreter";

interface Machine {
  /** What the Python extension reports; an Error makes asking it fail. */
  readonly extension?: string | Error | undefined;
  readonly onPath?: Readonly<Record<string, string>>;
  /** Interpreters that run, and their versions; any other path fails to run. */
  readonly versions?: Readonly<Record<string, PythonVersion>>;
  readonly links?: Readonly<Record<string, string>>;
}

/** Probes over a described machine, recording which interpreters were run. */
function probes(machine: Machine, ran: string[] = []): InterpreterProbes {
  return {
    pythonExtension: () =>
      machine.extension instanceof Error
        ? Promise.reject(machine.extension)
        : Promise.resolve(machine.extension),
    findOnPath: (name) => Promise.resolve(machine.onPath?.[name]),
    realPath: (path) => Promise.resolve(machine.links?.[path] ?? path),
    version: (path) => {
      ran.push(path);
      const version = machine.versions?.[path];
      return version ? Promise.resolve(version) : Promise.reject(new Error("spawn ENOENT"));
    },
  };
}

const py = (minor: number): PythonVersion => ({ major: 3, minor });

function input(overrides: Partial<ResolutionInput> = {}): ResolutionInput {
  return { setting: "", workspaceFolders: ["/work/shop"], trusted: true, home: "/home/dev", ...overrides };
}

describe("resolveInterpreters: the order", () => {
  const machine: Machine = {
    extension: "/envs/ext/bin/python",
    onPath: { python3: "/usr/bin/python3", python: "/usr/bin/python" },
    versions: {
      "/opt/py/bin/python": py(12),
      "/envs/ext/bin/python": py(11),
      "/usr/bin/python3": py(11),
      "/usr/bin/python": py(11),
    },
  };

  it("takes the setting first and runs nothing else", async () => {
    const ran: string[] = [];
    const found = await resolveInterpreters(
      input({ setting: "/opt/py/bin/python" }),
      probes(machine, ran),
      () => {},
    );
    assert.equal(found.launch?.path, "/opt/py/bin/python");
    assert.equal(found.launch.source, "fastapiLs.interpreter");
    assert.equal(found.project?.path, "/opt/py/bin/python");
    assert.deepEqual(ran, ["/opt/py/bin/python"]);
    assert.deepEqual(found.problems, []);
  });

  it("then the Python extension's interpreter", async () => {
    const found = await resolveInterpreters(input(), probes(machine), () => {});
    assert.equal(found.launch?.path, "/envs/ext/bin/python");
    assert.equal(found.launch.source, "Python extension");
  });

  it("then python3 on PATH, without the Python extension", async () => {
    const found = await resolveInterpreters(input(), probes({ ...machine, extension: undefined }), () => {});
    assert.equal(found.launch?.path, "/usr/bin/python3");
    assert.equal(found.launch.source, "PATH");
  });

  it("then python when there is no python3", async () => {
    const found = await resolveInterpreters(
      input(),
      probes({ ...machine, extension: undefined, onPath: { python: "/usr/bin/python" } }),
      () => {},
    );
    assert.equal(found.launch?.path, "/usr/bin/python");
  });

  it("goes on when asking the Python extension fails, and logs why", async () => {
    const lines: string[] = [];
    const found = await resolveInterpreters(
      input(),
      probes({ ...machine, extension: new Error("activation failed") }),
      (line) => lines.push(line),
    );
    assert.equal(found.launch?.path, "/usr/bin/python3");
    assert.ok(lines.some((line) => line.includes("activation failed")));
  });

  it("runs an interpreter found twice only once", async () => {
    const ran: string[] = [];
    await resolveInterpreters(
      input(),
      probes({ ...machine, extension: "/usr/bin/python3", versions: { "/usr/bin/python": py(11) } }, ran),
      () => {},
    );
    assert.deepEqual(ran, ["/usr/bin/python3", "/usr/bin/python"]);
  });

  it("logs every step", async () => {
    const lines: string[] = [];
    await resolveInterpreters(input(), probes({ ...machine, extension: undefined }), (line) =>
      lines.push(line),
    );
    assert.deepEqual(lines, [
      "fastapiLs.interpreter: not set",
      "Python extension: no interpreter selected (or the extension is not installed)",
      "PATH: /usr/bin/python3 (Python 3.11)",
    ]);
  });
});

describe("resolveInterpreters: Python 3.10 or newer", () => {
  it("reads an older project interpreter's packages but launches on a newer Python", async () => {
    const found = await resolveInterpreters(
      input({ setting: "/work/shop/.venv/bin/python" }),
      probes({
        onPath: { python3: "/usr/bin/python3" },
        versions: { "/work/shop/.venv/bin/python": py(9), "/usr/bin/python3": py(12) },
      }),
      () => {},
    );
    assert.equal(found.project?.path, "/work/shop/.venv/bin/python");
    assert.equal(found.launch?.path, "/usr/bin/python3");
    // Working as intended, so a log line and no warning.
    assert.deepEqual(found.problems, []);
  });

  it("finds no launch interpreter when every Python is too old", async () => {
    const found = await resolveInterpreters(
      input(),
      probes({ onPath: { python3: "/usr/bin/python3" }, versions: { "/usr/bin/python3": py(8) } }),
      () => {},
    );
    assert.equal(found.launch, undefined);
    assert.equal(found.project?.path, "/usr/bin/python3");
  });

  it("finds nothing on a machine without Python", async () => {
    const found = await resolveInterpreters(input(), probes({}), () => {});
    assert.deepEqual(found, { problems: [] });
  });

  it("reports an interpreter setting that does not run, and falls back", async () => {
    const found = await resolveInterpreters(
      input({ setting: "/nowhere/python" }),
      probes({ onPath: { python3: "/usr/bin/python3" }, versions: { "/usr/bin/python3": py(11) } }),
      () => {},
    );
    assert.equal(found.launch?.path, "/usr/bin/python3");
    assert.match(found.problems[0] ?? "", /\/nowhere\/python cannot run: spawn ENOENT/);
    assert.equal(
      found.fallback,
      "fastapiLs.interpreter (/nowhere/python) cannot be used: fell back to /usr/bin/python3 (PATH)",
    );
  });

  it("says no fallback when the setting is used, or not set", async () => {
    const machine = { onPath: { python3: "/usr/bin/python3" }, versions: { "/usr/bin/python3": py(11) } };
    const used = await resolveInterpreters(input({ setting: "python3" }), probes(machine), () => {});
    assert.equal(used.fallback, undefined);
    const unset = await resolveInterpreters(input(), probes(machine), () => {});
    assert.equal(unset.fallback, undefined);
  });

  it("says when a wrong setting leaves no Python at all", async () => {
    const found = await resolveInterpreters(input({ setting: "/nowhere/python" }), probes({}), () => {});
    assert.match(found.fallback ?? "", /cannot be used, and no other Python was found/);
  });

  it("tells versions apart", () => {
    assert.deepEqual(parsePythonVersion("(3, 11)\n"), py(11));
    assert.deepEqual(parsePythonVersion("(4, 0)"), { major: 4, minor: 0 });
    assert.equal(parsePythonVersion("Python 3.11.7"), undefined);
    assert.equal(parsePythonVersion(""), undefined);
    assert.equal(isSupported(py(10)), true);
    assert.equal(isSupported(py(9)), false);
    assert.equal(isSupported({ major: 2, minor: 17 }), false);
    assert.equal(isSupported({ major: 4, minor: 0 }), true);
  });
});

describe("resolveInterpreters: workspace trust", () => {
  const machine: Machine = {
    extension: "/work/shop/.venv/bin/python",
    onPath: { python3: "/usr/bin/python3" },
    versions: { "/work/shop/.venv/bin/python": py(12), "/usr/bin/python3": py(11) },
  };

  it("never runs an interpreter inside an untrusted workspace", async () => {
    const ran: string[] = [];
    const lines: string[] = [];
    const found = await resolveInterpreters(input({ trusted: false }), probes(machine, ran), (line) =>
      lines.push(line),
    );
    assert.deepEqual(ran, ["/usr/bin/python3"]);
    assert.equal(found.project?.path, "/usr/bin/python3");
    assert.ok(lines.some((line) => line.includes("not trusted")));
  });

  it("refuses a link that leads into the untrusted workspace", async () => {
    const ran: string[] = [];
    const found = await resolveInterpreters(
      input({ trusted: false }),
      probes(
        { ...machine, extension: undefined, links: { "/usr/bin/python3": "/work/shop/bin/python" } },
        ran,
      ),
      () => {},
    );
    assert.deepEqual(ran, []);
    assert.equal(found.launch, undefined);
  });

  it("runs the workspace's interpreter once the workspace is trusted", async () => {
    const found = await resolveInterpreters(input({ trusted: true }), probes(machine), () => {});
    assert.equal(found.launch?.path, "/work/shop/.venv/bin/python");
  });

  it("reports a refused interpreter setting", async () => {
    const found = await resolveInterpreters(
      input({ trusted: false, setting: "${workspaceFolder}/.venv/bin/python" }),
      probes(machine),
      () => {},
    );
    assert.equal(found.launch?.path, "/usr/bin/python3");
    assert.match(found.problems[0] ?? "", /inside the workspace folder \/work\/shop, which is not trusted/);
  });
});

describe("expandInterpreterSetting", () => {
  const folders = ["/work/shop"];
  const expand = (setting: string, workspaceFolders: readonly string[] = folders) =>
    expandInterpreterSetting(setting, workspaceFolders, "/home/dev", nodePath.posix);

  it("expands the home directory and the workspace folder", () => {
    assert.deepEqual(expand("~/venvs/shop/bin/python"), { path: "/home/dev/venvs/shop/bin/python" });
    assert.deepEqual(expand("${userHome}/py/bin/python"), { path: "/home/dev/py/bin/python" });
    assert.deepEqual(expand("${workspaceFolder}/.venv/bin/python"), { path: "/work/shop/.venv/bin/python" });
  });

  it("takes a relative path from the first workspace folder", () => {
    assert.deepEqual(expand(".venv/bin/python"), { path: "/work/shop/.venv/bin/python" });
    assert.ok("problem" in expand(".venv/bin/python", []));
    assert.ok("problem" in expand("${workspaceFolder}/.venv/bin/python", []));
  });

  it("leaves a bare command name to the PATH lookup", async () => {
    assert.deepEqual(expand("python3.12"), { name: "python3.12" });
    const found = await resolveInterpreters(
      input({ setting: "python3.12" }),
      probes({
        onPath: { "python3.12": "/usr/local/bin/python3.12" },
        versions: { "/usr/local/bin/python3.12": py(12) },
      }),
      () => {},
    );
    assert.equal(found.launch?.path, "/usr/local/bin/python3.12");
    assert.equal(found.launch.source, "fastapiLs.interpreter");
  });
});
