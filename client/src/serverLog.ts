/**
 * The server's stderr, read into the log at the right level.
 *
 * The server writes Python logging records to stderr, `2026-01-31 10:00:00,123 WARNING
 * fastapi_ls.server: text` (server/fastapi_ls/cli.py). vscode-languageclient would log every
 * stderr line as an error with the record's own timestamp inside a second one; here the record's
 * level becomes the line's level and only the log's timestamp stays. Lines that are not records
 * (a traceback's, or anything else a process prints) keep the level of the record above them.
 * Pure: the lines are handed to an injected sink.
 */

export type LogLevel = "trace" | "debug" | "info" | "warn" | "error";

export type LogSink = (level: LogLevel, message: string) => void;

const RECORD = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ (DEBUG|INFO|WARNING|ERROR|CRITICAL) ([\w.]+): (.*)$/;

const LEVELS: Readonly<Record<string, LogLevel>> = {
  DEBUG: "debug",
  INFO: "info",
  WARNING: "warn",
  ERROR: "error",
  CRITICAL: "error",
};

/** The server's own package: its logger names say nothing the message does not. */
const OWN_LOGGERS = /^fastapi_ls(\.|$)/;

export class ServerLogReader {
  /**
   * @param level of lines before the first record: on stderr, Python's own start-up errors.
   */
  constructor(
    private readonly sink: LogSink,
    private level: LogLevel = "error",
  ) {}

  line(text: string): void {
    const record = RECORD.exec(text);
    if (record === null) {
      if (text.trim() !== "") {
        this.sink(this.level, text);
      }
      return;
    }
    const [, levelName = "ERROR", logger = "", message = ""] = record;
    this.level = LEVELS[levelName] ?? "error";
    this.sink(this.level, OWN_LOGGERS.test(logger) ? message : `${logger}: ${message}`);
  }
}

export interface StartupFacts {
  readonly extensionVersion: string;
  readonly editor: string;
  readonly remote: string | undefined;
  readonly trusted: boolean;
  readonly server: string;
  readonly interpreter: string;
  readonly settings: string;
  readonly apiKey: string;
}

/** One line saying what this start runs with; the API key itself never is among the facts. */
export function startupLine(facts: StartupFacts): string {
  const window = facts.remote ? `remote window (${facts.remote})` : "local window";
  return [
    `fastapi-ls extension ${facts.extensionVersion} on ${facts.editor}, ${window}, workspace ${facts.trusted ? "trusted" : "not trusted"}`,
    `server: ${facts.server}`,
    `interpreter: ${facts.interpreter}`,
    `Context7 API key: ${facts.apiKey}`,
    `settings: ${facts.settings}`,
  ].join("; ");
}
