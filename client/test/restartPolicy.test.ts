import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_RESTARTS, RESTART_WINDOW_MS, RestartPolicy } from "../src/restartPolicy";

describe("RestartPolicy", () => {
  it("does not restart a server that never started, and names it", () => {
    const decision = new RestartPolicy("/usr/bin/python3 -m fastapi_ls").closed();
    assert.equal(decision.restart, false);
    assert.match(decision.message ?? "", /while starting: \/usr\/bin\/python3 -m fastapi_ls/);
  });

  it("restarts a server that was running, a few times within the window", () => {
    let now = 0;
    const policy = new RestartPolicy("fastapi-ls", () => now);
    policy.running();
    for (let crash = 0; crash < MAX_RESTARTS; crash++) {
      now += 1000;
      assert.deepEqual(policy.closed(), { restart: true }, `crash ${crash + 1}`);
    }
    now += 1000;
    const giveUp = policy.closed();
    assert.equal(giveUp.restart, false);
    assert.match(giveUp.message ?? "", /Restart Server/);
  });

  it("forgets crashes older than the window", () => {
    let now = 0;
    const policy = new RestartPolicy("fastapi-ls", () => now);
    policy.running();
    for (let crash = 0; crash < MAX_RESTARTS; crash++) {
      policy.closed();
    }
    now += RESTART_WINDOW_MS + 1;
    assert.deepEqual(policy.closed(), { restart: true });
  });
});
