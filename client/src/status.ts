/**
 * What the status bar says: the server's state and, from the server's `fastapiLs/status`
 * request, the project's FastAPI and Pydantic versions and the Context7 mode. Pure.
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

export interface StatusView {
  readonly text: string;
  readonly tooltip: string;
  /** Draw attention: the server is not working, or cannot read the project's environment. */
  readonly warning: boolean;
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
  const name = "FastAPI LS";
  switch (state) {
    case "starting":
      return { text: `$(sync~spin) ${name}`, tooltip: "FastAPI Language Server: starting…", warning: false };
    case "stopped":
      return {
        text: `$(circle-slash) ${name}`,
        tooltip: withDetail("FastAPI Language Server: stopped", detail),
        warning: true,
      };
    case "error":
      return {
        text: `$(error) ${name}`,
        tooltip: withDetail("FastAPI Language Server: not running", detail),
        warning: true,
      };
    case "running":
      break;
  }
  if (status === undefined) {
    return { text: `$(check) ${name}`, tooltip: "FastAPI Language Server: running", warning: false };
  }
  const versions = !status.environmentReady
    ? ["FastAPI …"]
    : status.fastapi === null
      ? ["FastAPI not installed"]
      : [`FastAPI ${status.fastapi}`, ...(status.pydantic === null ? [] : [`Pydantic ${status.pydantic}`])];
  const context7 = {
    online: ["$(cloud) Context7"],
    offline: ["$(cloud-offline) Context7 offline"],
    disabled: [],
  }[status.context7];
  const lines = [
    `FastAPI Language Server ${status.serverVersion}: running`,
    `Interpreter: ${status.interpreter ?? "reading…"}`,
    `FastAPI: ${versionLine(status, status.fastapi)}`,
    `Pydantic: ${versionLine(status, status.pydantic)}`,
    `Context7: ${status.context7}`,
    `Cache: ${status.cacheDir}`,
  ];
  if (status.environmentError !== null) {
    lines.push(`Problem: ${status.environmentError}`);
  }
  return {
    text: `$(zap) ${[...versions, ...context7].join(" · ")}`,
    tooltip: lines.join("\n"),
    warning: status.environmentError !== null,
  };
}

function versionLine(status: ServerStatus, version: string | null): string {
  if (!status.environmentReady) {
    return "reading the environment…";
  }
  return version ?? "not installed in this interpreter";
}

function withDetail(summary: string, detail: string | undefined): string {
  return detail ? `${summary}\n${detail}` : summary;
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
