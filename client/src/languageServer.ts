/**
 * The server's lifecycle: resolve the interpreter, plan the process, run it under
 * vscode-languageclient, and restart it when what it was started with changes.
 */

import * as os from "node:os";
import * as path from "node:path";
import * as readline from "node:readline";
import type { Readable } from "node:stream";
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
import { withShowReferences, type Converter } from "./codeLens";
import { debounce } from "./debounce";
import { formatVersion, resolveInterpreters, type Resolution } from "./interpreter";
import type { InterpreterPrompt } from "./interpreterPrompt";
import type { LanguageStatus } from "./languageStatus";
import { planLaunch, API_KEY_VARIABLE } from "./launch";
import { findOnPath, pythonVersion, realPath } from "./probes";
import { NotificationProgressFeature } from "./progress";
import { ROUTES_CHANGED } from "./routes";
import { selectedInterpreter } from "./pythonExtension";
import { RestartPolicy } from "./restartPolicy";
import { settingQuery } from "./prompts";
import { ServerLogReader, startupLine, type LogLevel } from "./serverLog";
import {
  describeSettings,
  guardedReader,
  readLaunchSettings,
  SECTION,
  toServerSettings,
  type ServerSettings,
  type SettingReader,
} from "./settings";
import { showDocumentMiddleware } from "./showDocument";
import {
  expectedContext7Mode,
  fastApiMissing,
  isServerStatus,
  readyLine,
  STATUS_REQUEST,
  type ServerStatus,
} from "./status";

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
  /** What the server found, as last logged: logged again only when it changes. */
  private lastReadyLine: string | undefined;
  private readonly runningEmitter = new vscode.EventEmitter<boolean>();
  /** True when a server is up and answers, false when it stopped or went away. */
  readonly onDidChangeRunning = this.runningEmitter.event;
  private readonly routesChangedEmitter = new vscode.EventEmitter<void>();
  /** The server's `fastapiLs/routesChanged`: its route table changed. */
  readonly onRoutesChanged = this.routesChangedEmitter.event;

  readonly scheduleRestart = debounce<string>((reasons) => {
    void this.restart([...new Set(reasons)].join(", "));
  }, RESTART_DEBOUNCE_MS);

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
    private readonly languageStatus: LanguageStatus,
    private readonly interpreterPrompt: InterpreterPrompt,
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
    this.runningEmitter.dispose();
    this.routesChangedEmitter.dispose();
  }

  /** One of the server's own requests: undefined when no server runs; throws what it answers. */
  async request(method: string, params: object): Promise<unknown> {
    const client = this.runningClient();
    return client === undefined ? undefined : await client.sendRequest<unknown>(method, params);
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
    this.log.info(`Settings in effect: ${describeSettings(this.launchSettings(), settings)}`);
    const status = await this.languageStatus.refresh(
      () => this.requestStatus(),
      (answer) => answer.environmentReady && (mode === undefined || answer.context7 === mode),
    );
    this.statusArrived(status);
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
    if (this.launchSettings().interpreter) {
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
    return toServerSettings(this.settingReader(scope), this.interpreter);
  }

  private launchSettings() {
    return readLaunchSettings(this.settingReader());
  }

  /** Settings as VS Code resolves them, but the guarded ones from user settings only. */
  private settingReader(scope?: vscode.Uri): SettingReader {
    const configuration = vscode.workspace.getConfiguration(SECTION, scope);
    return guardedReader(
      (key) => configuration.get(key),
      (key) => configuration.inspect(key),
      vscode.workspace.isTrusted,
    );
  }

  /** A status answer that ends a refresh: the log says what the server found, once per start. */
  private statusArrived(status: ServerStatus | undefined): void {
    if (status === undefined || !status.environmentReady) {
      return;
    }
    const line = readyLine(status);
    if (line !== this.lastReadyLine) {
      this.lastReadyLine = line;
      this.log.info(line);
    }
    if (fastApiMissing(status)) {
      this.interpreterPrompt.fastApiMissing(status.interpreter ?? "the server's Python");
    }
  }

  private async launch(): Promise<void> {
    this.languageStatus.setState("starting");
    const folders = (vscode.workspace.workspaceFolders ?? []).filter(
      (folder) => folder.uri.scheme === "file",
    );
    const workspaceFolders = folders.map((folder) => folder.uri.fsPath);
    const trusted = vscode.workspace.isTrusted;
    const settings = this.launchSettings();
    const extensionPath = this.context.extensionUri.fsPath;
    this.lastReadyLine = undefined;

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
    if (resolution.fallback !== undefined) {
      this.log.warn(resolution.fallback);
    }
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
      this.languageStatus.setState("error", decision.problem);
      this.offerSettings("error", `FastAPI language server: ${decision.problem}`, decision.setting);
      return;
    }
    const plan = decision.plan;
    this.interpreter = plan.interpreter;
    this.log.info(
      startupLine({
        extensionVersion: String((this.context.extension.packageJSON as { version?: unknown }).version),
        editor: `${vscode.env.appName} ${vscode.version}`,
        remote: vscode.env.remoteName,
        trusted,
        server: plan.description,
        interpreter: describeInterpreter(resolution, plan.interpreter),
        apiKey: describeKeySource(apiKey),
        settings: describeSettings(settings, this.serverSettings()),
      }),
    );

    const restarts = new RestartPolicy(plan.description);
    const client = new LanguageClient(
      CLIENT_ID,
      CLIENT_NAME,
      { command: plan.command, args: [...plan.args], options: { cwd: plan.cwd, env: plan.env } },
      this.clientOptions(restarts),
    );
    client.registerFeature(new NotificationProgressFeature(client));
    client.onNotification(ROUTES_CHANGED, () => {
      if (this.client === client) {
        this.routesChangedEmitter.fire();
      }
    });
    client.onDidChangeState(({ newState }) => {
      if (this.client !== client) {
        return;
      }
      if (newState === State.Running) {
        restarts.running();
        this.languageStatus.setState("running");
        this.runningEmitter.fire(true);
        if (this.configurationPending) {
          this.log.info("Sending the settings that changed while the server was starting");
          void this.configurationChanged();
        } else {
          void this.languageStatus
            .refresh(() => this.requestStatus())
            .then((status) => this.statusArrived(status));
        }
      } else if (newState === State.Stopped) {
        this.runningEmitter.fire(false);
        this.languageStatus.setState(
          "stopped",
          'The server process ended; see the log. "FastAPI: Restart Server" starts it again.',
        );
      } else {
        this.languageStatus.setState("starting");
      }
    });
    this.client = client;
    try {
      await client.start();
    } catch (error) {
      this.log.error(`The server did not start: ${String(error)}`);
      this.languageStatus.setState("error", `The server did not start: ${String(error)}`);
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
      stdioOptions: { stdout: this.readServerOutput("info"), stderr: this.readServerOutput("error") },
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
        provideCodeLenses: async (document, token, next) =>
          withShowReferences(await next(document, token), toVsCode),
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
    this.runningEmitter.fire(false);
    // A client whose start failed refuses to stop, but still has to be disposed of.
    const running = client.needsStop();
    try {
      await client.dispose(STOP_TIMEOUT_MS);
    } catch (error) {
      if (running) {
        this.log.warn(`Stopping the server: ${String(error)}`);
      }
    }
    this.languageStatus.setState("stopped");
  }

  /** A reader of the server's output stream into the log, at each record's own level. */
  private readServerOutput(level: LogLevel): (input: Readable) => void {
    return (input) => {
      const reader = new ServerLogReader((lineLevel, message) => this.log[lineLevel](message), level);
      readline
        .createInterface({ input, crlfDelay: Infinity, terminal: false, historySize: 0 })
        .on("line", (line) => reader.line(line));
    };
  }

  private offerSettings(severity: "warning" | "error", message: string, setting: string): void {
    const buttons = ["Open Settings", "Show Log"];
    const shown =
      severity === "warning"
        ? vscode.window.showWarningMessage(message, ...buttons)
        : vscode.window.showErrorMessage(message, ...buttons);
    void shown.then((choice) => {
      if (choice === "Open Settings") {
        // User settings: the ones read in every window, trusted or not.
        void vscode.commands.executeCommand("workbench.action.openGlobalSettings", {
          query: settingQuery(setting),
        });
      } else if (choice === "Show Log") {
        this.log.show();
      }
    });
  }
}

/** The arguments of `editor.action.showReferences`, which takes VS Code's types only. */
const toVsCode: Converter<vscode.Uri, vscode.Position, vscode.Location> = {
  uri: (value) => vscode.Uri.parse(value, true),
  position: (value) => new vscode.Position(value.line, value.character),
  location: (value) =>
    new vscode.Location(
      vscode.Uri.parse(value.uri, true),
      new vscode.Range(
        value.range.start.line,
        value.range.start.character,
        value.range.end.line,
        value.range.end.character,
      ),
    ),
};

function describeInterpreter(resolution: Resolution, handedToServer: string | undefined): string {
  const project = resolution.project;
  if (project === undefined) {
    return handedToServer ?? "none (the server looks for the workspace's .venv)";
  }
  return `${project.path} (Python ${formatVersion(project.version)}, from ${project.source})`;
}

function describeKeySource(storedKey: string | undefined): string {
  if (storedKey) {
    return `from VS Code's secret storage, passed in ${API_KEY_VARIABLE}`;
  }
  return process.env[API_KEY_VARIABLE]
    ? `from the ${API_KEY_VARIABLE} environment variable`
    : "none (anonymous use, lower limits)";
}
