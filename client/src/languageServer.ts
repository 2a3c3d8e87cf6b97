/**
 * The server's lifecycle: resolve the interpreter, plan the process, run it under
 * vscode-languageclient, and restart it when what it was started with changes.
 */

import * as os from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
import {
  CloseAction,
  DidChangeConfigurationNotification,
  ErrorAction,
  ExecuteCommandRequest,
  LanguageClient,
  State,
  type ConfigurationRequest,
  type LanguageClientOptions,
} from "vscode-languageclient/node";
import { debounce } from "./debounce";
import { resolveInterpreters } from "./interpreter";
import { planLaunch, API_KEY_VARIABLE } from "./launch";
import { findOnPath, pythonVersion, realPath } from "./probes";
import { NotificationProgressFeature } from "./progress";
import { selectedInterpreter } from "./pythonExtension";
import { RestartPolicy } from "./restartPolicy";
import { readLaunchSettings, SECTION, toServerSettings, type ServerSettings } from "./settings";
import { showDocumentMiddleware } from "./showDocument";
import { expectedContext7Mode, isServerStatus, STATUS_REQUEST, type ServerStatus } from "./status";
import type { StatusBar } from "./statusBar";

/** Also the prefix vscode-languageclient reads `trace.server` under. */
const CLIENT_ID = SECTION;
const CLIENT_NAME = "FastAPI Language Server";
export const API_KEY_SECRET = "fastapiLs.context7.apiKey";
const RESTART_DEBOUNCE_MS = 500;
const STOP_TIMEOUT_MS = 2000;

export class ServerManager implements vscode.Disposable {
  private client: LanguageClient | undefined;
  /** The user's interpreter handed to the server; every settings answer repeats it. */
  private interpreter: string | undefined;
  /** Starts and stops run one after another, never interleaved. */
  private queue: Promise<void> = Promise.resolve();
  /** Settings changed while the server was starting: sent once it runs. */
  private configurationPending = false;

  readonly scheduleRestart = debounce<string>((reasons) => {
    void this.restart([...new Set(reasons)].join(", "));
  }, RESTART_DEBOUNCE_MS);

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
    private readonly statusBar: StatusBar,
  ) {}

  start(): Promise<void> {
    return this.enqueue(() => this.launch());
  }

  restart(reason: string): Promise<void> {
    this.scheduleRestart.cancel();
    return this.enqueue(async () => {
      this.log.info(`Restarting: ${reason}`);
      await this.shutDown();
      await this.launch();
    });
  }

  stop(): Promise<void> {
    this.scheduleRestart.cancel();
    return this.enqueue(() => this.shutDown());
  }

  dispose(): void {
    void this.stop();
  }

  /** Runtime settings changed: the server pulls them again, no restart needed. */
  async configurationChanged(): Promise<void> {
    const client = this.runningClient();
    if (client === undefined) {
      // A server that is starting may have been given the settings from before the change.
      this.configurationPending = this.client !== undefined && this.client.state === State.Starting;
      return;
    }
    this.configurationPending = false;
    const settings = this.serverSettings();
    await client.sendNotification(DidChangeConfigurationNotification.type, {
      settings: { [SECTION]: settings },
    });
    // The server pulls the settings before applying them: wait until its status shows them.
    const mode = expectedContext7Mode(settings);
    await this.statusBar.refresh(
      () => this.requestStatus(),
      (status) => status.environmentReady && (mode === undefined || status.context7 === mode),
    );
  }

  /** Runs one of the server's commands; undefined (and a message) when the server is not running. */
  async executeServerCommand(command: string, args: unknown[]): Promise<unknown> {
    const client = this.runningClient();
    if (client === undefined) {
      void vscode.window
        .showErrorMessage("The FastAPI language server is not running; see its log.", "Show Log")
        .then((choice) => choice && this.log.show());
      return undefined;
    }
    try {
      return await client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.log.error(`${command} failed: ${message}`);
      void vscode.window.showErrorMessage(`FastAPI language server: ${command} failed: ${message}`);
      return undefined;
    }
  }

  /**
   * The Python extension selected an interpreter (it also reports its choice once it has
   * discovered the environments): restart only when that is not the one in use.
   */
  interpreterSelected(selected: string | undefined): void {
    if (vscode.workspace.getConfiguration(SECTION).get<string>("interpreter")) {
      return;
    }
    const current = this.interpreter;
    if (selected && current && (current === selected || current.startsWith(selected + path.sep))) {
      return;
    }
    this.scheduleRestart("the Python extension's interpreter changed");
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    this.queue = this.queue.then(task).catch((error: unknown) => {
      this.log.error(`Unexpected failure: ${String(error)}`);
    });
    return this.queue;
  }

  private runningClient(): LanguageClient | undefined {
    return this.client?.state === State.Running ? this.client : undefined;
  }

  private serverSettings(scope?: vscode.Uri): ServerSettings {
    const configuration = vscode.workspace.getConfiguration(SECTION, scope);
    return toServerSettings((key) => configuration.get(key), this.interpreter);
  }

  private async launch(): Promise<void> {
    this.statusBar.setState("starting");
    const folders = (vscode.workspace.workspaceFolders ?? []).filter(
      (folder) => folder.uri.scheme === "file",
    );
    const workspaceFolders = folders.map((folder) => folder.uri.fsPath);
    const trusted = vscode.workspace.isTrusted;
    const configuration = vscode.workspace.getConfiguration(SECTION);
    const settings = readLaunchSettings((key) => configuration.get(key));
    const extensionPath = this.context.extensionUri.fsPath;
    this.log.info(
      `Starting the server (workspace ${trusted ? "trusted" : "not trusted"}, import strategy ${settings.importStrategy})`,
    );

    const resolution = await resolveInterpreters(
      { setting: settings.interpreter, workspaceFolders, trusted, home: os.homedir() },
      {
        pythonExtension: () => selectedInterpreter(folders[0]?.uri),
        findOnPath: (name) => findOnPath(name, process.env["PATH"]),
        realPath,
        version: (python) => pythonVersion(python, extensionPath),
      },
      (line) => this.log.info(line),
    );
    for (const problem of resolution.problems) {
      this.offerSettings("warning", problem, "fastapiLs.interpreter");
    }

    const apiKey = await this.storedApiKey();
    const decision = planLaunch({
      settings,
      resolution,
      extensionPath,
      baseEnv: process.env,
      apiKey,
      workspaceFolders,
      trusted,
    });
    if (!decision.ok) {
      this.log.error(`Not starting: ${decision.problem}`);
      this.statusBar.setState("error", decision.problem);
      this.offerSettings("error", `FastAPI language server: ${decision.problem}`, decision.setting);
      return;
    }
    const plan = decision.plan;
    this.interpreter = plan.interpreter;
    this.log.info(`Server: ${plan.description}`);
    this.log.info(
      `Project interpreter for FastAPI and Pydantic: ${plan.interpreter ?? "none (the server picks one)"}`,
    );
    this.log.info(`Context7 API key: ${describeKeySource(apiKey)}`);

    const restarts = new RestartPolicy(plan.description);
    const client = new LanguageClient(
      CLIENT_ID,
      CLIENT_NAME,
      { command: plan.command, args: [...plan.args], options: { cwd: plan.cwd, env: plan.env } },
      this.clientOptions(restarts),
    );
    client.registerFeature(new NotificationProgressFeature(client));
    client.onDidChangeState(({ newState }) => {
      if (this.client !== client) {
        return;
      }
      if (newState === State.Running) {
        restarts.running();
        this.statusBar.setState("running");
        if (this.configurationPending) {
          this.log.info("Sending the settings that changed while the server was starting");
          void this.configurationChanged();
        } else {
          void this.statusBar.refresh(() => this.requestStatus());
        }
      } else if (newState === State.Stopped) {
        this.statusBar.setState(
          "stopped",
          'The server process ended; see the log. "Restart server" starts it again.',
        );
      } else {
        this.statusBar.setState("starting");
      }
    });
    this.client = client;
    try {
      await client.start();
    } catch (error) {
      this.log.error(`The server did not start: ${String(error)}`);
      this.statusBar.setState("error", `The server did not start: ${String(error)}`);
    }
  }

  private clientOptions(restarts: RestartPolicy): LanguageClientOptions {
    return {
      documentSelector: [
        { scheme: "file", language: "python" },
        { scheme: "untitled", language: "python" },
      ],
      outputChannel: this.log,
      traceOutputChannel: this.log,
      initializationOptions: () => this.serverSettings(),
      // A failed start is not retried: the same process would fail the same way.
      initializationFailedHandler: () => false,
      errorHandler: {
        error: (_error, _message, count) => ({
          action: (count ?? 0) <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown,
        }),
        closed: () => {
          const decision = restarts.closed();
          return {
            action: decision.restart ? CloseAction.Restart : CloseAction.DoNotRestart,
            ...(decision.message === undefined ? {} : { message: decision.message }),
          };
        },
      },
      middleware: {
        window: {
          showDocument: showDocumentMiddleware(
            async (uri) => {
              await vscode.commands.executeCommand("markdown.showPreviewToSide", vscode.Uri.parse(uri, true));
            },
            (line) => this.log.warn(line),
          ),
        },
        workspace: { configuration: this.answerConfiguration },
      },
    };
  }

  /**
   * The server pulls `fastapiLs`: it gets the mapped settings (with the resolved interpreter,
   * without the client-only launch settings), not the raw section.
   */
  private readonly answerConfiguration: ConfigurationRequest.MiddlewareSignature = async (
    params,
    token,
    next,
  ) => {
    const answered = await next(params, token);
    if (!Array.isArray(answered)) {
      return answered;
    }
    const answers: unknown[] = answered;
    return params.items.map((item, index) =>
      item.section === SECTION
        ? this.serverSettings(item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined)
        : answers[index],
    );
  };

  private async storedApiKey(): Promise<string | undefined> {
    try {
      return await this.context.secrets.get(API_KEY_SECRET);
    } catch (error) {
      // A locked or missing keyring must not keep the server from starting.
      this.log.warn(`Cannot read the Context7 API key from the secret storage: ${String(error)}`);
      return undefined;
    }
  }

  private async requestStatus(): Promise<ServerStatus | undefined> {
    const client = this.runningClient();
    if (client === undefined) {
      return undefined;
    }
    try {
      // With params: pygls cannot read a request that has none.
      const answer: unknown = await client.sendRequest(STATUS_REQUEST, {});
      return isServerStatus(answer) ? answer : undefined;
    } catch (error) {
      this.log.warn(`${STATUS_REQUEST} failed: ${String(error)}`);
      return undefined;
    }
  }

  private async shutDown(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client === undefined) {
      return;
    }
    // A client whose start failed refuses to stop, but still has to be disposed of.
    const running = client.needsStop();
    try {
      await client.dispose(STOP_TIMEOUT_MS);
    } catch (error) {
      if (running) {
        this.log.warn(`Stopping the server: ${String(error)}`);
      }
    }
    this.statusBar.setState("stopped");
  }

  private offerSettings(severity: "warning" | "error", message: string, setting: string): void {
    const buttons = ["Open Settings", "Show Log"];
    const shown =
      severity === "warning"
        ? vscode.window.showWarningMessage(message, ...buttons)
        : vscode.window.showErrorMessage(message, ...buttons);
    void shown.then((choice) => {
      if (choice === "Open Settings") {
        void vscode.commands.executeCommand("workbench.action.openSettings", setting);
      } else if (choice === "Show Log") {
        this.log.show();
      }
    });
  }
}

function describeKeySource(storedKey: string | undefined): string {
  if (storedKey) {
    return `from VS Code's secret storage, passed in ${API_KEY_VARIABLE}`;
  }
  return process.env[API_KEY_VARIABLE]
    ? `from the ${API_KEY_VARIABLE} environment variable`
    : "none (anonymous use, lower limits)";
}
