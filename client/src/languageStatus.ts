/**
 * The language status item of Python files (the `{}` beside "Python" in the status bar): the
 * state and versions described by status.ts, kept up to date. Shown only with Python files,
 * like the Python language servers' own items; a click opens the log.
 */

import * as vscode from "vscode";
import { describeStatus, pollStatus, type ServerState, type ServerStatus } from "./status";

/** The server reads the environment in the background; a few seconds usually suffice. */
const POLL_ATTEMPTS = 20;
const POLL_INTERVAL_MS = 500;

const SEVERITY = {
  information: vscode.LanguageStatusSeverity.Information,
  warning: vscode.LanguageStatusSeverity.Warning,
  error: vscode.LanguageStatusSeverity.Error,
} as const;

export class LanguageStatus implements vscode.Disposable {
  private readonly item = vscode.languages.createLanguageStatusItem("fastapiLs.status", {
    language: "python",
  });
  private state: ServerState = "starting";
  private status: ServerStatus | undefined;
  private detail: string | undefined;
  private generation = 0;

  constructor(showLogCommand: string) {
    this.item.name = "FastAPI Language Server";
    this.item.command = { title: "Show Log", command: showLogCommand };
    this.render();
  }

  setState(state: ServerState, detail?: string): void {
    this.state = state;
    this.detail = detail;
    if (state !== "running") {
      this.status = undefined;
      this.generation++;
    }
    this.render();
  }

  /**
   * Asks the server for its status until it has read the environment; a newer call wins.
   * The last answer, or undefined when none came or a newer call took over.
   */
  async refresh(
    fetchStatus: () => Promise<ServerStatus | undefined>,
    done?: (status: ServerStatus) => boolean,
  ): Promise<ServerStatus | undefined> {
    const generation = ++this.generation;
    const last = await pollStatus(
      fetchStatus,
      (status) => {
        if (generation === this.generation) {
          this.status = status;
          this.render();
        }
      },
      {
        attempts: POLL_ATTEMPTS,
        intervalMs: POLL_INTERVAL_MS,
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        stale: () => generation !== this.generation,
        ...(done === undefined ? {} : { done }),
      },
    );
    return generation === this.generation ? last : undefined;
  }

  dispose(): void {
    this.generation++;
    this.item.dispose();
  }

  private render(): void {
    const view = describeStatus(this.state, this.status, this.detail);
    this.item.text = view.text;
    this.item.detail = view.detail;
    this.item.severity = SEVERITY[view.severity];
    this.item.busy = view.busy;
    this.item.accessibilityInformation = { label: `FastAPI Language Server: ${view.text}, ${view.detail}` };
  }
}
