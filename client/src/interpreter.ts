/**
 * Which Python the extension uses: the setting, then the Python extension's choice for the
 * workspace, then `python3` / `python` on PATH.
 *
 * Two roles are told apart. The *project* interpreter is the user's: the server reads its
 * FastAPI and Pydantic, whatever its Python version. The *launch* interpreter runs the server,
 * which needs Python 3.10 or newer. Usually both are the same; a project on Python 3.9 still
 * gets its packages read while the server runs on a newer Python from PATH.
 *
 * Pure: every look at the machine goes through injected probes.
 */

import * as nodePath from "node:path";
import { mayRun, type PathApi } from "./trust";

export interface PythonVersion {
  readonly major: number;
  readonly minor: number;
}

export const MINIMUM_PYTHON: PythonVersion = { major: 3, minor: 10 };

/** What the version check prints. */
export const VERSION_SCRIPT = "import sys; print(sys.version_info[:2])";

export type InterpreterSource = "fastapiLs.interpreter" | "Python extension" | "PATH";

export interface Interpreter {
  readonly path: string;
  readonly source: InterpreterSource;
  readonly version: PythonVersion;
}

export interface InterpreterProbes {
  /** The interpreter the Python extension selected for the workspace; undefined without it. */
  pythonExtension(): Promise<string | undefined>;
  /** The absolute path of an executable of that name on PATH. */
  findOnPath(name: string): Promise<string | undefined>;
  /** The path with symbolic links resolved; undefined when it does not exist. */
  realPath(path: string): Promise<string | undefined>;
  /** Runs {@link VERSION_SCRIPT} with the interpreter; rejects when it cannot run. */
  version(path: string): Promise<PythonVersion>;
}

export interface ResolutionInput {
  /** `fastapiLs.interpreter`, "" when unset. */
  readonly setting: string;
  readonly workspaceFolders: readonly string[];
  readonly trusted: boolean;
  readonly home: string;
}

export interface Resolution {
  readonly project?: Interpreter;
  readonly launch?: Interpreter;
  /** Why the interpreter the user set was not used: worth a message, not only a log line. */
  readonly problems: readonly string[];
  /** Set when `fastapiLs.interpreter` is set but another interpreter is read instead. */
  readonly fallback?: string;
}

export function parsePythonVersion(output: string): PythonVersion | undefined {
  const match = /^\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)\s*$/.exec(output);
  if (!match) {
    return undefined;
  }
  return { major: Number(match[1]), minor: Number(match[2]) };
}

export function isSupported(version: PythonVersion): boolean {
  return (
    version.major > MINIMUM_PYTHON.major ||
    (version.major === MINIMUM_PYTHON.major && version.minor >= MINIMUM_PYTHON.minor)
  );
}

export function formatVersion(version: PythonVersion): string {
  return `${version.major}.${version.minor}`;
}

type Expanded = { readonly path: string } | { readonly name: string } | { readonly problem: string };

/**
 * The setting as a path: `~`, `${userHome}` and `${workspaceFolder}` expanded, a relative path
 * taken from the first workspace folder, and a bare name (`python3.12`) left to a PATH lookup.
 */
export function expandInterpreterSetting(
  setting: string,
  workspaceFolders: readonly string[],
  home: string,
  pathApi: Pick<typeof nodePath, "resolve" | "isAbsolute"> = nodePath,
): Expanded {
  const folder = workspaceFolders[0];
  if (setting.includes("${workspaceFolder}") && folder === undefined) {
    return { problem: `${setting} refers to \${workspaceFolder}, but no folder is open` };
  }
  let value = setting.replaceAll("${userHome}", home).replaceAll("${workspaceFolder}", folder ?? "");
  if (value === "~" || value.startsWith("~/") || value.startsWith("~\\")) {
    value = home + value.slice(1);
  }
  if (!value.includes("/") && !value.includes("\\")) {
    return { name: value };
  }
  if (pathApi.isAbsolute(value)) {
    return { path: value };
  }
  if (folder === undefined) {
    return { problem: `${setting} is a relative path, but no folder is open to resolve it against` };
  }
  return { path: pathApi.resolve(folder, value) };
}

export async function resolveInterpreters(
  input: ResolutionInput,
  probes: InterpreterProbes,
  log: (line: string) => void,
  pathApi: PathApi = nodePath,
): Promise<Resolution> {
  const problems: string[] = [];
  let project: Interpreter | undefined;
  const seen = new Set<string>();

  // Logged always; worth a message too when it is about what the user set.
  const complain = (source: InterpreterSource, problem: string): void => {
    log(`${source}: ${problem}`);
    if (source === "fastapiLs.interpreter") {
      problems.push(`fastapiLs.interpreter: ${problem}`);
    }
  };

  // One candidate: it becomes the project interpreter if it runs at all, and is returned
  // when it can also run the server.
  const consider = async (path: string, source: InterpreterSource): Promise<Interpreter | undefined> => {
    if (seen.has(path)) {
      return undefined;
    }
    seen.add(path);
    const verdict = mayRun(
      { path, realPath: await probes.realPath(path) },
      input.workspaceFolders,
      input.trusted,
      pathApi,
    );
    if (!verdict.allowed) {
      complain(source, `not run: ${verdict.reason}`);
      return undefined;
    }
    let version: PythonVersion;
    try {
      version = await probes.version(path);
    } catch (error) {
      complain(source, `${path} cannot run: ${describeError(error)}`);
      return undefined;
    }
    const found: Interpreter = { path, source, version };
    project ??= found;
    if (!isSupported(version)) {
      const tooOld = `${path} is Python ${formatVersion(version)}, older than ${formatVersion(MINIMUM_PYTHON)}`;
      if (project === found) {
        // Working as intended: the server reads this project's packages and runs elsewhere.
        log(`${source}: ${tooOld}; the server reads its packages and runs on a newer Python`);
      } else {
        complain(source, tooOld);
      }
      return undefined;
    }
    log(`${source}: ${path} (Python ${formatVersion(version)})`);
    return found;
  };

  const finish = (launch: Interpreter): Resolution => {
    const chosen = project ?? launch;
    return { project: chosen, launch, problems, ...fellBack(chosen) };
  };
  const fellBack = (chosen: Interpreter | undefined): { fallback?: string } =>
    input.setting && chosen?.source !== "fastapiLs.interpreter"
      ? {
          fallback:
            chosen === undefined
              ? `fastapiLs.interpreter (${input.setting}) cannot be used, and no other Python was found`
              : `fastapiLs.interpreter (${input.setting}) cannot be used: fell back to ${chosen.path} (${chosen.source})`,
        }
      : {};

  if (input.setting) {
    const expanded = expandInterpreterSetting(input.setting, input.workspaceFolders, input.home, pathApi);
    let path: string | undefined;
    if ("problem" in expanded) {
      complain("fastapiLs.interpreter", expanded.problem);
    } else if ("name" in expanded) {
      path = await probes.findOnPath(expanded.name);
      if (path === undefined) {
        complain("fastapiLs.interpreter", `${expanded.name} is not on PATH`);
      }
    } else {
      path = expanded.path;
    }
    const found = path === undefined ? undefined : await consider(path, "fastapiLs.interpreter");
    if (found) {
      return finish(found);
    }
  } else {
    log("fastapiLs.interpreter: not set");
  }

  let fromExtension: string | undefined;
  try {
    fromExtension = await probes.pythonExtension();
  } catch (error) {
    log(`Python extension: cannot ask it: ${describeError(error)}`);
  }
  if (fromExtension === undefined) {
    log("Python extension: no interpreter selected (or the extension is not installed)");
  } else {
    const found = await consider(fromExtension, "Python extension");
    if (found) {
      return finish(found);
    }
  }

  for (const name of ["python3", "python"]) {
    const path = await probes.findOnPath(name);
    if (path === undefined) {
      log(`PATH: no ${name}`);
      continue;
    }
    const found = await consider(path, "PATH");
    if (found) {
      return finish(found);
    }
  }
  return project === undefined
    ? { problems, ...fellBack(undefined) }
    : { project, problems, ...fellBack(project) };
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
