/**
 * When the server process ends by itself: restart it if it had been working (a crash now and
 * then should not cost the user their completions), but not when it never started — an
 * interpreter without `fastapi_ls`, say — where every retry fails the same way and each one
 * would add error messages. Pure: the clock is injected.
 */

export const MAX_RESTARTS = 4;
export const RESTART_WINDOW_MS = 3 * 60 * 1000;

export interface CloseDecision {
  readonly restart: boolean;
  /** For the user when the server stays down. */
  readonly message?: string;
}

export class RestartPolicy {
  private started = false;
  private readonly restarts: number[] = [];

  constructor(
    /** Names the process in the messages, e.g. "/usr/bin/python3 -m fastapi_ls (…)". */
    private readonly server: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** The server answered `initialize`. */
  running(): void {
    this.started = true;
  }

  closed(): CloseDecision {
    if (!this.started) {
      return {
        restart: false,
        message: `The FastAPI language server stopped while starting: ${this.server}. See its log.`,
      };
    }
    const now = this.now();
    while (this.restarts.length > 0 && now - (this.restarts[0] ?? now) > RESTART_WINDOW_MS) {
      this.restarts.shift();
    }
    if (this.restarts.length >= MAX_RESTARTS) {
      return {
        restart: false,
        message: `The FastAPI language server stopped ${MAX_RESTARTS + 1} times in 3 minutes and is not restarted again. See its log; "FastAPI: Restart Server" starts it.`,
      };
    }
    this.restarts.push(now);
    return { restart: true };
  }
}
