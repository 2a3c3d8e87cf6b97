/** Entry point: wires the server manager to the events that start, reconfigure or restart it. */

import * as vscode from "vscode";
import { COMMANDS, registerCommands } from "./commands";
import { API_KEY_SECRET, ServerManager } from "./languageServer";
import { watchSelectedInterpreter } from "./pythonExtension";
import { LAUNCH_KEYS, SECTION } from "./settings";
import { InterpreterPrompt } from "./interpreterPrompt";
import { LanguageStatus } from "./languageStatus";
import { registerRoutesView } from "./routesView";

let manager: ServerManager | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel("FastAPI Language Server", { log: true });
  const languageStatus = new LanguageStatus(COMMANDS.showLog);
  const server = new ServerManager(context, log, languageStatus, new InterpreterPrompt(log));
  manager = server;

  context.subscriptions.push(
    log,
    languageStatus,
    server,
    ...registerCommands(context, server, log),
    ...registerRoutesView(server, log),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (LAUNCH_KEYS.some((key) => event.affectsConfiguration(`${SECTION}.${key}`))) {
        log.info("Launch settings changed: the server restarts");
        server.scheduleRestart("launch settings changed");
      } else if (event.affectsConfiguration(SECTION)) {
        log.info("Settings changed: the server reads them again");
        void server.configurationChanged();
      }
    }),
    // Trust lets an interpreter inside the workspace run; folders change what is inside it.
    vscode.workspace.onDidGrantWorkspaceTrust(() => server.scheduleRestart("workspace trusted")),
    vscode.workspace.onDidChangeWorkspaceFolders(() => server.scheduleRestart("workspace folders changed")),
    context.secrets.onDidChange((event) => {
      if (event.key === API_KEY_SECRET) {
        server.scheduleRestart("Context7 API key changed");
      }
    }),
    watchSelectedInterpreter(
      (selected) => {
        server.interpreterSelected(selected);
      },
      (line) => log.warn(line),
    ),
  );
  // Shows the Routes view, which stays hidden in windows the extension never activated in.
  void vscode.commands.executeCommand("setContext", "fastapiLs.active", true);
  void server.start();
}

export async function deactivate(): Promise<void> {
  await manager?.stop();
  manager = undefined;
}
