/**
 * The machine-facing half of interpreter resolution: PATH lookups, symbolic links and running
 * an interpreter's version check. Node only (no VS Code), so the tests run it on fake
 * interpreters.
 */

import { execFile } from "node:child_process";
import { constants, promises as fs } from "node:fs";
import * as nodePath from "node:path";
import { parsePythonVersion, VERSION_SCRIPT, type PythonVersion } from "./interpreter";

const VERSION_TIMEOUT_MS = 15_000;

/**
 * Runs the version check. `cwd` is where the interpreter starts: never a workspace folder, so
 * that nothing in the project is imported by the check.
 */
export function pythonVersion(python: string, cwd: string): Promise<PythonVersion> {
  return new Promise((resolve, reject) => {
    execFile(
      python,
      ["-c", VERSION_SCRIPT],
      { cwd, timeout: VERSION_TIMEOUT_MS, windowsHide: true },
      (error, stdout, stderr) => {
        if (error) {
          const summary = error.message.split("\n")[0] ?? error.message;
          const lastErrorLine = stderr.trim().split("\n").pop();
          reject(new Error(lastErrorLine ? `${summary} (${lastErrorLine})` : summary));
          return;
        }
        const version = parsePythonVersion(stdout);
        if (version === undefined) {
          reject(new Error(`unexpected version output ${JSON.stringify(stdout.trim())}`));
          return;
        }
        resolve(version);
      },
    );
  });
}

/**
 * The first executable of that name in `searchPath`. Relative entries are skipped: they would
 * be resolved against the editor's current directory, which can be anywhere, a workspace too.
 */
export async function findOnPath(
  name: string,
  searchPath: string | undefined,
  platform: NodeJS.Platform = process.platform,
): Promise<string | undefined> {
  const pathApi = platform === "win32" ? nodePath.win32 : nodePath.posix;
  const names = platform === "win32" && !name.toLowerCase().endsWith(".exe") ? [`${name}.exe`, name] : [name];
  for (const directory of (searchPath ?? "").split(pathApi.delimiter)) {
    if (!directory || !pathApi.isAbsolute(directory)) {
      continue;
    }
    for (const candidate of names) {
      const full = pathApi.join(directory, candidate);
      if (await isExecutableFile(full)) {
        return full;
      }
    }
  }
  return undefined;
}

export async function realPath(path: string): Promise<string | undefined> {
  try {
    return await fs.realpath(path);
  } catch {
    return undefined;
  }
}

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    const stat = await fs.stat(path);
    if (!stat.isFile()) {
      return false;
    }
    await fs.access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
