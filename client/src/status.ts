/**
 * What the language status item says: the server's state and, from the server's
 * `fastapiLs/status` request, the project's FastAPI and Pydantic versions and the Context7 mode.
 * Pure.
 */

import type { ServerSettings } from "./settings";

export const STATUS_REQUEST = "fastapiLs/status";

export type ServerState = "starting" | "running" | "stopped" | "error";

export type Context7Mode = "online" | "offline" | "disabled";

/** The answer of `fastapiLs/status` (server/fastapi_ls/server.py). */
export interface ServerStatus {
  readonly serverVersion: string;
  readonly interpreter: string | null;
  readonly environmentReady: boolean;
  readonly environmentError: string | null;
  readonly fastapi: string | null;
  readonly pydantic: string | null;
  readonly context7: Context7Mode;
  readonly cacheDir: string;
}

export type Severity = "information" | "warning" | "error";

/** What the language status item shows: a short text, its details and how urgent it is. */
export interface StatusView {
  readonly text: string;
  readonly detail: string;
  readonly severity: Severity;
  /** The server is starting or reading the environment. */
  readonly busy: boolean;
}

export function isServerStatus(value: unknown): value is ServerStatus {
  if (typeof value !== "object" || value === null) {
    return false;
  }
  const record = value as Record<string, unknown>;
  const optionalString = (key: string): boolean => record[key] === null || typeof record[key] === "string";
  return (
    typeof record["serverVersion"] === "string" &&
    typeof record["environmentReady"] === "boolean" &&
    ["online", "offline", "disabled"].includes(record["context7"] as string) &&
    typeof record["cacheDir"] === "string" &&
    ["interpreter", "environmentError", "fastapi", "pydantic"].every(optionalString)
  );
}

export function describeStatus(state: ServerState, status?: ServerStatus, detail?: string): StatusView {
  switch (state) {
    case "starting":
      return { text: "FastAPI", detail: "starting the server…", severity: "information", busy: true };
    case "stopped":
      return { text: "FastAPI", detail: detail ?? "server stopped", severity: "warning", busy: false };
    case "error":
      return { text: "FastAPI", detail: detail ?? "server not running", severity: "error", busy: false };
    case "running":
      break;
  }
  if (status === undefined || !status.environmentReady) {
    return { text: "FastAPI", detail: "reading the environment…", severity: "information", busy: true };
  }
  const context7 = { online: "Context7 online", offline: "Context7 offline", disabled: "Context7 off" }[
    status.context7
  ];
  const where = status.interpreter ?? "no interpreter";
  if (status.environmentError !== null) {
    return {
      text: "FastAPI",
      detail: `cannot read ${where}: ${status.environmentError}`,
      severity: "warning",
      busy: false,
    };
  }
  if (status.fastapi === null) {
    return {
      text: "FastAPI not installed",
      detail: `in ${where} · ${context7}`,
      severity: "warning",
      busy: false,
    };
  }
  const pydantic = status.pydantic === null ? [] : [`Pydantic ${status.pydantic}`];
  return {
    text: `FastAPI ${status.fastapi}`,
    detail: [...pydantic, context7, where, `server ${status.serverVersion}`].join(" · "),
    severity: "information",
    busy: false,
  };
}

/** The log line once the server has read the environment. */
export function readyLine(status: ServerStatus): string {
  const packages = [
    `FastAPI ${status.fastapi ?? "not installed"}`,
    `Pydantic ${status.pydantic ?? "not installed"}`,
  ].join(", ");
  const problem = status.environmentError === null ? "" : ` (cannot read it: ${status.environmentError})`;
  return `Server ${status.serverVersion} ready: ${packages} in ${status.interpreter ?? "no interpreter"}${problem}; Context7 ${status.context7}; cache ${status.cacheDir}`;
}

/** The environment has been read and has no FastAPI: worth telling the user once. */
export function fastApiMissing(status: ServerStatus): boolean {
  return status.environmentReady && status.environmentError === null && status.fastapi === null;
}

/**
 * The Context7 mode the server will report for these settings; undefined when a value is not a
 * boolean (the server then falls back to its default and says so).
 */
export function expectedContext7Mode(settings: ServerSettings): Context7Mode | undefined {
  const { enabled, offline } = settings.context7;
  if (typeof enabled !== "boolean" || typeof offline !== "boolean") {
    return undefined;
  }
  return !enabled ? "disabled" : offline ? "offline" : "online";
}

export interface PollOptions {
  readonly attempts: number;
  readonly intervalMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  /** Stop early: the server was restarted and a newer poll took over. */
  readonly stale: () => boolean;
  /** The answer waited for; by default, one where the environment has been read. */
  readonly done?: (status: ServerStatus) => boolean;
}

/**
 * Asks for the status until the server has read the environment (it does so in the background
 * after start) or has applied changed settings, showing each answer; the last answer, or
 * undefined when none came.
 */
export async function pollStatus(
  fetchStatus: () => Promise<ServerStatus | undefined>,
  show: (status: ServerStatus) => void,
  options: PollOptions,
): Promise<ServerStatus | undefined> {
  let last: ServerStatus | undefined;
  for (let attempt = 0; attempt < options.attempts && !options.stale(); attempt++) {
    if (attempt > 0) {
      await options.sleep(options.intervalMs);
      if (options.stale()) {
        break;
      }
    }
    const status = await fetchStatus();
    if (status !== undefined) {
      last = status;
      show(status);
      if ((options.done ?? ((answer) => answer.environmentReady))(status)) {
        break;
      }
    }
  }
  return last;
}
