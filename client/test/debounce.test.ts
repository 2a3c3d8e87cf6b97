import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { debounce, type Timers } from "../src/debounce";

/** Timers that fire only when told to. */
function manualTimers() {
  const pending = new Map<number, () => void>();
  let next = 0;
  const timers: Timers = {
    setTimeout: (callback) => {
      pending.set(++next, callback);
      return next;
    },
    clearTimeout: (handle) => {
      pending.delete(handle as number);
    },
  };
  const fire = (): void => {
    for (const [handle, callback] of [...pending]) {
      pending.delete(handle);
      callback();
    }
  };
  return { timers, fire, pending };
}

describe("debounce", () => {
  it("runs once per burst with every reason", () => {
    const { timers, fire, pending } = manualTimers();
    const runs: string[][] = [];
    const restart = debounce<string>((reasons) => runs.push(reasons), 500, timers);
    restart("interpreter changed");
    restart("settings changed");
    assert.equal(pending.size, 1);
    fire();
    assert.deepEqual(runs, [["interpreter changed", "settings changed"]]);
    restart("trusted");
    fire();
    assert.deepEqual(runs[1], ["trusted"]);
  });

  it("can be cancelled", () => {
    const { timers, fire } = manualTimers();
    const runs: string[][] = [];
    const restart = debounce<string>((reasons) => runs.push(reasons), 500, timers);
    restart("a");
    restart.cancel();
    fire();
    assert.deepEqual(runs, []);
  });

  it("waits for the quiet period with real timers", async () => {
    const runs: number[][] = [];
    const call = debounce<number>((values) => runs.push(values), 20);
    call(1);
    call(2);
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.deepEqual(runs, [[1, 2]]);
  });
});
