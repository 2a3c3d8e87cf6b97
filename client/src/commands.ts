/** The palette commands (category "FastAPI"). */

import * as vscode from "vscode";
import { selectInterpreter } from "./interpreterPrompt";
import { API_KEY_SECRET, type ServerManager } from "./languageServer";

export const COMMANDS = {
  setApiKey: "fastapiLs.setContext7ApiKey",
  lookUp: "fastapiLs.lookUpInContext7",
  clearCache: "fastapiLs.clearContext7Cache",
  restart: "fastapiLs.restartServer",
  showLog: "fastapiLs.showServerLog",
  selectInterpreter: "fastapiLs.selectInterpreter",
} as const;

/** The server's own commands (server/fastapi_ls/escalation.py). */
const SERVER_LOOKUP = "fastapiLs.context7.lookup";
const SERVER_CLEAR_CACHE = "fastapiLs.context7.clearCache";

/** A selection longer than this is not a query; the box starts empty instead. */
const MAX_PREFILL = 200;

export function registerCommands(
  context: vscode.ExtensionContext,
  manager: ServerManager,
  log: vscode.LogOutputChannel,
): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand(COMMANDS.setApiKey, () => setApiKey(context.secrets, manager, log)),
    vscode.commands.registerCommand(COMMANDS.lookUp, () => lookUp(manager)),
    vscode.commands.registerCommand(COMMANDS.clearCache, () =>
      manager.executeServerCommand(SERVER_CLEAR_CACHE, []),
    ),
    vscode.commands.registerCommand(COMMANDS.restart, () =>
      manager.restart("requested from the command palette"),
    ),
    vscode.commands.registerCommand(COMMANDS.showLog, () => log.show()),
    vscode.commands.registerCommand(COMMANDS.selectInterpreter, () => selectInterpreter(log)),
  ];
}

async function setApiKey(
  secrets: vscode.SecretStorage,
  manager: ServerManager,
  log: vscode.LogOutputChannel,
): Promise<void> {
  const key = await vscode.window.showInputBox({
    title: "Context7 API key",
    prompt:
      "Kept in VS Code's secret storage and given only to the server process. Leave empty to remove the stored key.",
    placeHolder: "ctx7sk-…",
    password: true,
    ignoreFocusOut: true,
  });
  if (key === undefined) {
    return;
  }
  if (key.trim() === "") {
    await secrets.delete(API_KEY_SECRET);
    log.info("Context7 API key removed from the secret storage");
    void vscode.window.showInformationMessage("Context7 API key removed; the server restarts without it.");
  } else {
    await secrets.store(API_KEY_SECRET, key.trim());
    log.info("Context7 API key stored in the secret storage");
    void vscode.window.showInformationMessage("Context7 API key stored; the server restarts with it.");
  }
  // The server reads the key from its environment, so only a new process sees it.
  manager.scheduleRestart("Context7 API key changed");
}

async function lookUp(manager: ServerManager): Promise<void> {
  const query = await vscode.window.showInputBox({
    title: "Look Up in Context7",
    prompt: "What to look up in the current FastAPI documentation. This text is sent to Context7.",
    placeHolder: "e.g. websocket connection manager broadcast",
    value: selectedLine(),
    ignoreFocusOut: true,
    validateInput: (value) => (value.trim() ? undefined : "Type what to look up"),
  });
  if (!query?.trim()) {
    return;
  }
  // The package pins the docs to the installed FastAPI; the text is the user's own choice.
  const text = query.trim();
  await manager.executeServerCommand(SERVER_LOOKUP, [
    { title: text, query: text, package: "fastapi", kind: "selection" },
  ]);
}

/** The user's selection, offered as the query: selected text may be sent, code never silently. */
function selectedLine(): string {
  const editor = vscode.window.activeTextEditor;
  if (editor === undefined || editor.selection.isEmpty) {
    return "";
  }
  const text = editor.document.getText(editor.selection).trim();
  return text.length <= MAX_PREFILL && !text.includes("\n") ? text : "";
}
