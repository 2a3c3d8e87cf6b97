import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  describeStatus,
  expectedContext7Mode,
  isServerStatus,
  pollStatus,
  type ServerStatus,
} from "../src/status";

const ready: ServerStatus = {
  serverVersion: "0.1.0",
  interpreter: "/work/shop/.venv/bin/python",
  environmentReady: true,
  environmentError: null,
  fastapi: "0.115.6",
  pydantic: "2.10.3",
  context7: "online",
  cacheDir: "/home/dev/.cache/fastapi-ls/context7",
};

describe("describeStatus", () => {
  it("shows the versions and Context7 once the environment is read", () => {
    const view = describeStatus("running", ready);
    assert.equal(view.text, "$(zap) FastAPI 0.115.6 · Pydantic 2.10.3 · $(cloud) Context7");
    assert.match(view.tooltip, /Interpreter: \/work\/shop\/\.venv\/bin\/python/);
    assert.equal(view.warning, false);
  });

  it("says when Context7 is offline or disabled", () => {
    assert.match(describeStatus("running", { ...ready, context7: "offline" }).text, /Context7 offline$/);
    assert.doesNotMatch(describeStatus("running", { ...ready, context7: "disabled" }).text, /Context7/);
  });

  it("says when the environment is being read, has no FastAPI, or could not be read", () => {
    assert.equal(
      describeStatus("running", { ...ready, environmentReady: false, fastapi: null }).text.includes(
        "FastAPI …",
      ),
      true,
    );
    assert.match(
      describeStatus("running", { ...ready, fastapi: null, pydantic: null }).text,
      /FastAPI not installed/,
    );
    const broken = describeStatus("running", { ...ready, environmentError: "cannot start /x: boom" });
    assert.equal(broken.warning, true);
    assert.match(broken.tooltip, /boom/);
  });

  it("shows starting, stopped and error states", () => {
    assert.match(describeStatus("starting").text, /sync~spin/);
    assert.equal(describeStatus("stopped").warning, true);
    const failed = describeStatus("error", undefined, "no Python 3.10 or newer was found");
    assert.match(failed.text, /\$\(error\)/);
    assert.match(failed.tooltip, /no Python 3\.10/);
  });
});

describe("isServerStatus", () => {
  it("accepts the server's answer and rejects anything else", () => {
    assert.equal(isServerStatus(ready), true);
    assert.equal(isServerStatus({ ...ready, fastapi: null, interpreter: null }), true);
    assert.equal(isServerStatus({ ...ready, context7: "maybe" }), false);
    assert.equal(isServerStatus({ ...ready, environmentReady: "yes" }), false);
    assert.equal(isServerStatus(null), false);
    assert.equal(isServerStatus("running"), false);
  });
});

describe("pollStatus", () => {
  const options = { attempts: 5, intervalMs: 10, sleep: () => Promise.resolve(), stale: () => false };

  it("asks until the environment is ready, showing each answer", async () => {
    const answers = [undefined, { ...ready, environmentReady: false }, ready, ready];
    const shown: boolean[] = [];
    const last = await pollStatus(
      () => Promise.resolve(answers.shift()),
      (status) => shown.push(status.environmentReady),
      options,
    );
    assert.equal(last, ready);
    assert.deepEqual(shown, [false, true]);
    assert.equal(answers.length, 1);
  });

  it("gives up after the attempts, and stops when a newer poll takes over", async () => {
    let asked = 0;
    await pollStatus(
      () => {
        asked++;
        return Promise.resolve({ ...ready, environmentReady: false });
      },
      () => {},
      options,
    );
    assert.equal(asked, 5);
    asked = 0;
    await pollStatus(
      () => {
        asked++;
        return Promise.resolve(undefined);
      },
      () => {},
      { ...options, stale: () => asked >= 2 },
    );
    assert.equal(asked, 2);
  });
});

describe("expectedContext7Mode", () => {
  const settings = (context7: Record<string, unknown>) => ({ snippets: {}, hover: {}, context7 });

  it("follows enabled and offline", () => {
    assert.equal(expectedContext7Mode(settings({ enabled: true, offline: false })), "online");
    assert.equal(expectedContext7Mode(settings({ enabled: true, offline: true })), "offline");
    assert.equal(expectedContext7Mode(settings({ enabled: false, offline: true })), "disabled");
  });

  it("does not guess when a value is invalid", () => {
    assert.equal(expectedContext7Mode(settings({ enabled: "yes", offline: false })), undefined);
  });
});

describe("pollStatus with a condition", () => {
  it("waits for the answer that shows changed settings", async () => {
    const answers: ServerStatus[] = [ready, { ...ready, context7: "offline" }, ready];
    const last = await pollStatus(
      () => Promise.resolve(answers.shift()),
      () => {},
      {
        attempts: 5,
        intervalMs: 1,
        sleep: () => Promise.resolve(),
        stale: () => false,
        done: (status) => status.context7 === "offline",
      },
    );
    assert.equal(last?.context7, "offline");
    assert.equal(answers.length, 1);
  });
});
