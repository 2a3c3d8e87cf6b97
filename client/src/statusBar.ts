/** The status bar item: the state and versions described by status.ts, kept up to date. */

import * as vscode from "vscode";
import { describeStatus, pollStatus, type ServerState, type ServerStatus } from "./status";

/** The server reads the environment in the background; a few seconds usually suffice. */
const POLL_ATTEMPTS = 20;
const POLL_INTERVAL_MS = 500;

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem(
    "fastapiLs.status",
    vscode.StatusBarAlignment.Right,
    100,
  );
  private state: ServerState = "starting";
  private status: ServerStatus | undefined;
  private detail: string | undefined;
  private generation = 0;

  constructor(showLogCommand: string) {
    this.item.name = "FastAPI Language Server";
    this.item.command = showLogCommand;
    this.render();
    this.item.show();
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

  /** Asks the server for its status until it has read the environment; a newer call wins. */
  async refresh(
    fetchStatus: () => Promise<ServerStatus | undefined>,
    done?: (status: ServerStatus) => boolean,
  ): Promise<void> {
    const generation = ++this.generation;
    await pollStatus(
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
  }

  dispose(): void {
    this.generation++;
    this.item.dispose();
  }

  private render(): void {
    const view = describeStatus(this.state, this.status, this.detail);
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.backgroundColor = view.warning
      ? new vscode.ThemeColor("statusBarItem.warningBackground")
      : undefined;
  }
}
