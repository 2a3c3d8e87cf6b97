/**
 * The server's work-done progress (a Context7 lookup) as a notification with a Cancel button.
 *
 * vscode-languageclient shows server progress in the status bar only, where it is easy to miss
 * and cannot be cancelled; a lookup takes seconds and the server honours a cancel. Registered
 * after the built-in features, this one's `window/workDoneProgress/create` handler replaces
 * theirs on every (re)start.
 */

import * as vscode from "vscode";
import {
  WorkDoneProgress,
  WorkDoneProgressCancelNotification,
  WorkDoneProgressCreateRequest,
  type BaseLanguageClient,
  type FeatureState,
  type ProgressToken,
  type StaticFeature,
  type WorkDoneProgressBegin,
  type WorkDoneProgressReport,
} from "vscode-languageclient/node";

export class NotificationProgressFeature implements StaticFeature {
  private readonly active = new Set<() => void>();

  constructor(private readonly client: BaseLanguageClient) {}

  fillClientCapabilities(): void {
    // The built-in progress feature already announces `window.workDoneProgress`.
  }

  getState(): FeatureState {
    return { kind: "static" };
  }

  initialize(): void {
    this.client.onRequest(WorkDoneProgressCreateRequest.type, ({ token }) => this.follow(token));
  }

  clear(): void {
    for (const finish of [...this.active]) {
      finish();
    }
  }

  private follow(token: ProgressToken): void {
    let progress: vscode.Progress<{ message?: string; increment?: number }> | undefined;
    let resolveShown: (() => void) | undefined;
    let ended = false;
    let reported = 0;

    const update = (value: WorkDoneProgressBegin | WorkDoneProgressReport): void => {
      const increment =
        value.percentage === undefined ? undefined : Math.max(0, Math.min(value.percentage, 100) - reported);
      reported += increment ?? 0;
      progress?.report({
        ...(value.message === undefined ? {} : { message: value.message }),
        ...(increment === undefined ? {} : { increment }),
      });
    };
    const finish = (): void => {
      ended = true;
      subscription.dispose();
      this.active.delete(finish);
      resolveShown?.();
    };
    const subscription = this.client.onProgress(WorkDoneProgress.type, token, (value) => {
      if (value.kind === "begin") {
        void vscode.window.withProgress(
          {
            location: vscode.ProgressLocation.Notification,
            title: value.title,
            cancellable: value.cancellable ?? false,
          },
          (shown, cancellation) => {
            if (ended) {
              return Promise.resolve();
            }
            progress = shown;
            cancellation.onCancellationRequested(() => {
              void this.client.sendNotification(WorkDoneProgressCancelNotification.type, { token });
            });
            update(value);
            return new Promise<void>((resolve) => {
              resolveShown = resolve;
            });
          },
        );
      } else if (value.kind === "report") {
        update(value);
      } else {
        finish();
      }
    });
    this.active.add(finish);
  }
}
