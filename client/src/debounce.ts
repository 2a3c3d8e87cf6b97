/**
 * Collapses bursts of calls into one: editing settings.json, switching interpreters or trusting
 * a workspace fires several events at once, and each restart costs a second of Python start-up.
 */

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface Debounced<T> {
  /** Schedules `action` after the quiet period; `reason`s of a burst are all passed on. */
  (reason: T): void;
  cancel(): void;
}

export function debounce<T>(
  action: (reasons: T[]) => void,
  ms: number,
  timers: Timers = realTimers,
): Debounced<T> {
  let handle: unknown;
  let reasons: T[] = [];
  const cancel = (): void => {
    if (handle !== undefined) {
      timers.clearTimeout(handle);
      handle = undefined;
    }
    reasons = [];
  };
  const debounced = (reason: T): void => {
    if (handle !== undefined) {
      timers.clearTimeout(handle);
    }
    reasons.push(reason);
    handle = timers.setTimeout(() => {
      const burst = reasons;
      handle = undefined;
      reasons = [];
      action(burst);
    }, ms);
  };
  return Object.assign(debounced, { cancel });
}
