import assert from "node:assert/strict";
import * as nodePath from "node:path";
import { describe, it } from "node:test";
import { isInside, mayRun } from "../src/trust";

describe("mayRun", () => {
  const folders = ["/work/shop", "/work/lib"];

  it("allows anything in a trusted workspace", () => {
    assert.deepEqual(mayRun({ path: "/work/shop/.venv/bin/python" }, folders, true, nodePath.posix), {
      allowed: true,
    });
  });

  it("refuses an interpreter inside any folder of an untrusted workspace", () => {
    for (const path of ["/work/shop/.venv/bin/python", "/work/lib/venv/bin/python", "/work/shop"]) {
      const verdict = mayRun({ path }, folders, false, nodePath.posix);
      assert.equal(verdict.allowed, false, path);
    }
    const verdict = mayRun({ path: "/work/lib/venv/bin/python" }, folders, false, nodePath.posix);
    assert.deepEqual(verdict, {
      allowed: false,
      reason: "/work/lib/venv/bin/python is inside the workspace folder /work/lib, which is not trusted",
    });
  });

  it("allows interpreters outside the untrusted workspace", () => {
    for (const path of [
      "/usr/bin/python3",
      "/work/shopping/bin/python",
      "/work/python",
      "/home/dev/.venv/bin/python",
    ]) {
      assert.deepEqual(mayRun({ path }, folders, false, nodePath.posix), { allowed: true }, path);
    }
  });

  it("refuses a path that leads into the workspace through a link", () => {
    const verdict = mayRun(
      { path: "/usr/local/bin/python3", realPath: "/work/shop/tools/python" },
      folders,
      false,
      nodePath.posix,
    );
    assert.equal(verdict.allowed, false);
  });

  it("sees through '..' and compares Windows paths without case", () => {
    assert.equal(
      mayRun({ path: "/tmp/../work/shop/bin/python" }, folders, false, nodePath.posix).allowed,
      false,
    );
    const windows = ["C:\\Users\\dev\\shop"];
    assert.equal(
      mayRun({ path: "c:\\users\\DEV\\Shop\\.venv\\Scripts\\python.exe" }, windows, false, nodePath.win32)
        .allowed,
      false,
    );
    assert.equal(mayRun({ path: "D:\\Python312\\python.exe" }, windows, false, nodePath.win32).allowed, true);
  });

  it("tells a sibling folder whose name starts with '..' from the parent", () => {
    assert.equal(isInside("/work/shop/..hidden/python", "/work/shop", nodePath.posix), true);
    assert.equal(isInside("/work/python", "/work/shop", nodePath.posix), false);
  });
});
