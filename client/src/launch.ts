/**
 * How the server process is started, from the launch settings and the resolved interpreters.
 * Pure, so every strategy and refusal is tested without starting anything.
 */

import * as nodePath from "node:path";
import { formatVersion, MINIMUM_PYTHON, type Resolution } from "./interpreter";
import type { LaunchSettings } from "./settings";
import { mayRun, type PathApi } from "./trust";

/** The variable the server reads its Context7 API key from when no setting gives one. */
export const API_KEY_VARIABLE = "CONTEXT7_API_KEY";

export interface LaunchPlan {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  /** The user's interpreter, handed to the server so that it reads the project's packages. */
  readonly interpreter: string | undefined;
  /** One line for the log; never carries the environment, where the API key is. */
  readonly description: string;
}

export type LaunchDecision =
  | { readonly ok: true; readonly plan: LaunchPlan }
  | { readonly ok: false; readonly problem: string; readonly setting: string };

export interface LaunchInput {
  readonly settings: LaunchSettings;
  readonly resolution: Resolution;
  readonly extensionPath: string;
  readonly baseEnv: Readonly<Record<string, string | undefined>>;
  readonly apiKey: string | undefined;
  readonly workspaceFolders: readonly string[];
  readonly trusted: boolean;
}

export function bundledLibs(
  extensionPath: string,
  pathApi: PathApi & Pick<typeof nodePath, "join"> = nodePath,
): string {
  return pathApi.join(extensionPath, "bundled", "libs");
}

export function planLaunch(
  input: LaunchInput,
  pathApi: PathApi & Pick<typeof nodePath, "join" | "delimiter"> = nodePath,
): LaunchDecision {
  const { settings, resolution } = input;
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.baseEnv)) {
    if (value !== undefined) {
      env[name] = value;
    }
  }
  if (input.apiKey) {
    env[API_KEY_VARIABLE] = input.apiKey;
  }
  // `python -m` puts its current directory first on sys.path: started in a workspace folder,
  // a `fastapi_ls/` or `pygls/` directory of the project would shadow the server's own code.
  const cwd = input.extensionPath;
  const interpreter = resolution.project?.path;
  const run = (command: string, args: readonly string[], description: string): LaunchDecision => ({
    ok: true,
    plan: { command, args, env, cwd, interpreter, description },
  });

  const [executable, ...executableArgs] = settings.path;
  if (executable !== undefined) {
    const verdict = mayRun({ path: executable }, input.workspaceFolders, input.trusted, pathApi);
    if (!verdict.allowed) {
      return {
        ok: false,
        problem: `fastapiLs.path is not run: ${verdict.reason}.`,
        setting: "fastapiLs.path",
      };
    }
    if (interpreter === undefined && !input.trusted) {
      // Without an interpreter the server looks for the workspace's .venv and starts it.
      return {
        ok: false,
        problem: "no Python interpreter outside the untrusted workspace was found to hand to the server.",
        setting: "fastapiLs.interpreter",
      };
    }
    return run(executable, executableArgs, `${settings.path.join(" ")} (fastapiLs.path)`);
  }

  const python = resolution.launch?.path;
  if (python === undefined) {
    return {
      ok: false,
      problem: `no Python ${formatVersion(MINIMUM_PYTHON)} or newer was found (fastapiLs.interpreter, the Python extension's interpreter, python3 and python on PATH).`,
      setting: "fastapiLs.interpreter",
    };
  }
  // -v: the server's info records (one per Context7 lookup, say) reach the log.
  const args = ["-m", "fastapi_ls", "-v"];
  if (settings.importStrategy === "fromEnvironment") {
    return run(python, args, `${python} -m fastapi_ls (installed in that environment)`);
  }
  const libs = bundledLibs(input.extensionPath, pathApi);
  const inherited = env["PYTHONPATH"];
  env["PYTHONPATH"] = inherited ? `${libs}${pathApi.delimiter}${inherited}` : libs;
  return run(python, args, `${python} -m fastapi_ls (bundled server in ${libs})`);
}
