import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { findOnPath, pythonVersion, realPath } from "../src/probes";

// Fake interpreters are shell scripts: POSIX only, like the CI machine.
const posix = process.platform !== "win32";

describe("probes", { skip: !posix && "needs a POSIX shell" }, () => {
  let root = "";
  const script = (directory: string, name: string, body: string, mode = 0o755): string => {
    mkdirSync(directory, { recursive: true });
    const path = join(directory, name);
    writeFileSync(path, `#!/bin/sh\n${body}\n`);
    chmodSync(path, mode);
    return path;
  };

  before(() => {
    root = mkdtempSync(join(tmpdir(), "fastapi-ls-probes-"));
  });
  after(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it("reads the version an interpreter prints", async () => {
    const python = script(join(root, "old"), "python", 'echo "(3, 9)"');
    assert.deepEqual(await pythonVersion(python, root), { major: 3, minor: 9 });
  });

  it("runs the real python3 of this machine", async (t) => {
    const python = await findOnPath("python3", process.env["PATH"]);
    if (python === undefined) {
      t.skip("no python3 on PATH");
      return;
    }
    const version = await pythonVersion(python, root);
    assert.equal(version.major, 3);
  });

  it("says why an interpreter does not run", async () => {
    const broken = script(join(root, "broken"), "python", 'echo "error: no such thing" >&2; exit 3');
    await assert.rejects(pythonVersion(broken, root), /no such thing/);
    const chatty = script(join(root, "chatty"), "python", 'echo "Python 3.11"');
    await assert.rejects(pythonVersion(chatty, root), /unexpected version output/);
    await assert.rejects(pythonVersion(join(root, "missing", "python"), root), /ENOENT/);
  });

  it("finds the first executable on PATH, skipping relative entries, files that cannot run and directories", async () => {
    const notExecutable = join(root, "a");
    script(notExecutable, "python3", "exit 0", 0o644);
    mkdirSync(join(root, "b", "python3"), { recursive: true });
    const first = script(join(root, "c"), "python3", "exit 0");
    script(join(root, "d"), "python3", "exit 0");
    const searchPath = [
      "relative/bin",
      "",
      notExecutable,
      join(root, "b"),
      join(root, "c"),
      join(root, "d"),
    ].join(delimiter);
    assert.equal(await findOnPath("python3", searchPath), first);
    assert.equal(await findOnPath("python9", searchPath), undefined);
    assert.equal(await findOnPath("python3", undefined), undefined);
  });

  it("follows symbolic links", async () => {
    const target = script(join(root, "real"), "python3.12", "exit 0");
    const link = join(root, "link-python");
    symlinkSync(target, link);
    assert.equal(await realPath(link), target);
    assert.equal(await realPath(join(root, "nothing-here")), undefined);
  });
});
