/**
 * The Python extension (ms-python.python), when installed: which interpreter the user selected
 * for the workspace, and when that changes. Never required: without it the extension falls
 * back to PATH.
 */

import * as vscode from "vscode";

const PYTHON_EXTENSION_ID = "ms-python.python";
/** The Python extension's "Python: Select Interpreter". */
export const SELECT_INTERPRETER_COMMAND = "python.setInterpreter";

export function isPythonExtensionInstalled(): boolean {
  return vscode.extensions.getExtension(PYTHON_EXTENSION_ID) !== undefined;
}

/** The part of the Python extension's public `environments` API used here. */
interface EnvironmentPath {
  readonly id: string;
  readonly path: string;
}

interface ResolvedEnvironment {
  readonly executable: { readonly uri: vscode.Uri | undefined };
}

interface PythonEnvironments {
  getActiveEnvironmentPath(resource?: vscode.Uri): EnvironmentPath;
  resolveEnvironment(environment: EnvironmentPath): Promise<ResolvedEnvironment | undefined>;
  readonly onDidChangeActiveEnvironmentPath: vscode.Event<EnvironmentPath>;
}

interface PythonExtensionApi {
  /** Missing in versions before the environments API (2023). */
  readonly environments?: PythonEnvironments;
}

async function environments(): Promise<PythonEnvironments | undefined> {
  const extension = vscode.extensions.getExtension<PythonExtensionApi | undefined>(PYTHON_EXTENSION_ID);
  if (extension === undefined) {
    return undefined;
  }
  const api = extension.isActive ? extension.exports : await extension.activate();
  return api?.environments;
}

/** The executable of the environment selected for `folder`; undefined without the extension. */
export async function selectedInterpreter(folder: vscode.Uri | undefined): Promise<string | undefined> {
  const api = await environments();
  if (api === undefined) {
    return undefined;
  }
  const active = api.getActiveEnvironmentPath(folder);
  const resolved = await api.resolveEnvironment(active);
  return resolved?.executable.uri?.fsPath;
}

/**
 * Calls `listener` with the environment's path whenever the user selects another interpreter.
 * When the Python extension is installed later, the watch starts then.
 */
export function watchSelectedInterpreter(
  listener: (selected: string | undefined) => void,
  log: (line: string) => void,
): vscode.Disposable {
  let watch: vscode.Disposable | undefined;
  let installWatch: vscode.Disposable | undefined;
  let disposed = false;
  const tryWatch = async (): Promise<boolean> => {
    if (vscode.extensions.getExtension(PYTHON_EXTENSION_ID) === undefined) {
      return false;
    }
    try {
      const api = await environments();
      if (api !== undefined && !disposed && watch === undefined) {
        watch = api.onDidChangeActiveEnvironmentPath((event) => {
          listener(event.path);
        });
      }
    } catch (error) {
      log(`Python extension: cannot watch the selected interpreter: ${String(error)}`);
    }
    return true;
  };
  void tryWatch().then((present) => {
    if (!present && !disposed) {
      installWatch = vscode.extensions.onDidChange(() => {
        void tryWatch().then((nowPresent) => {
          if (nowPresent) {
            installWatch?.dispose();
            listener(undefined);
          }
        });
      });
    }
  });
  return new vscode.Disposable(() => {
    disposed = true;
    watch?.dispose();
    installWatch?.dispose();
  });
}
