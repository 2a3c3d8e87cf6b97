/**
 * "No FastAPI in this Python": said once per interpreter, and only where FastAPI is used, with a
 * button that lets the user pick their project's interpreter — through the Python extension
 * when it is installed, else with a file picker that writes `fastapiLs.interpreter`.
 */

import * as vscode from "vscode";
import { isPythonExtensionInstalled, SELECT_INTERPRETER_COMMAND } from "./pythonExtension";
import { importsFastApi, interpreterTarget } from "./prompts";
import { SECTION } from "./settings";

const SELECT = "Select Interpreter";
const SHOW_LOG = "Show Log";

export class InterpreterPrompt {
  private readonly told = new Set<string>();

  constructor(private readonly log: vscode.LogOutputChannel) {}

  /** The server runs on `interpreter`, which has no FastAPI. */
  fastApiMissing(interpreter: string): void {
    const fastApiOpen = vscode.workspace.textDocuments.some(
      (document) => document.languageId === "python" && importsFastApi(document.getText()),
    );
    if (!fastApiOpen || this.told.has(interpreter)) {
      return;
    }
    this.told.add(interpreter);
    this.log.warn(`FastAPI is not installed in ${interpreter}: snippets are not filtered by version`);
    void vscode.window
      .showWarningMessage(
        `FastAPI is not installed in ${interpreter}. Select the Python interpreter of your project.`,
        SELECT,
        SHOW_LOG,
      )
      .then((choice) => {
        if (choice === SELECT) {
          void selectInterpreter(this.log);
        } else if (choice === SHOW_LOG) {
          this.log.show();
        }
      });
  }
}

export async function selectInterpreter(log: vscode.LogOutputChannel): Promise<void> {
  if (isPythonExtensionInstalled()) {
    // Its choice reaches the server through the selected-interpreter watch.
    await vscode.commands.executeCommand(SELECT_INTERPRETER_COMMAND);
    return;
  }
  const picked = await vscode.window.showOpenDialog({
    title: "Python interpreter of your project",
    openLabel: "Use This Interpreter",
    canSelectMany: false,
    canSelectFolders: false,
    ...(vscode.workspace.workspaceFolders?.[0]
      ? { defaultUri: vscode.workspace.workspaceFolders[0].uri }
      : {}),
  });
  const path = picked?.[0]?.fsPath;
  if (path === undefined) {
    return;
  }
  const target =
    interpreterTarget(vscode.workspace.isTrusted, (vscode.workspace.workspaceFolders ?? []).length > 0) ===
    "workspace"
      ? vscode.ConfigurationTarget.Workspace
      : vscode.ConfigurationTarget.Global;
  log.info(
    `fastapiLs.interpreter set to ${path} in ${target === vscode.ConfigurationTarget.Global ? "user" : "workspace"} settings`,
  );
  await vscode.workspace.getConfiguration(SECTION).update("interpreter", path, target);
}
