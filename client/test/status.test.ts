import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  describeStatus,
  expectedContext7Mode,
  fastApiMissing,
  isServerStatus,
  pollStatus,
  readyLine,
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
  it("shows the FastAPI version, details beside it, once the environment is read", () => {
    const view = describeStatus("running", ready);
    assert.equal(view.text, "FastAPI 0.115.6");
    assert.equal(
      view.detail,
      "Pydantic 2.10.3 · Context7 online · /work/shop/.venv/bin/python · server 0.1.0",
    );
    assert.equal(view.severity, "information");
    assert.equal(view.busy, false);
  });

  it("keeps the text short whatever the details", () => {
    for (const status of [
      ready,
      { ...ready, fastapi: null },
      { ...ready, environmentError: "cannot start /x: boom" },
      { ...ready, environmentReady: false },
    ]) {
      assert.ok(describeStatus("running", status).text.length <= 24, JSON.stringify(status));
    }
  });

  it("says when Context7 is offline or off", () => {
    assert.match(describeStatus("running", { ...ready, context7: "offline" }).detail, /Context7 offline/);
    assert.match(describeStatus("running", { ...ready, context7: "disabled" }).detail, /Context7 off/);
  });

  it("says when the environment is being read, has no FastAPI, or could not be read", () => {
    const reading = describeStatus("running", { ...ready, environmentReady: false, fastapi: null });
    assert.equal(reading.busy, true);
    assert.match(reading.detail, /reading the environment/);
    const missing = describeStatus("running", { ...ready, fastapi: null, pydantic: null });
    assert.equal(missing.text, "FastAPI not installed");
    assert.equal(missing.severity, "warning");
    assert.match(missing.detail, /in \/work\/shop\/\.venv\/bin\/python/);
    const broken = describeStatus("running", { ...ready, environmentError: "cannot start /x: boom" });
    assert.equal(broken.severity, "warning");
    assert.match(broken.detail, /boom/);
  });

  it("shows starting, stopped and error states", () => {
    assert.equal(describeStatus("starting").busy, true);
    assert.equal(describeStatus("stopped").severity, "warning");
    const failed = describeStatus("error", undefined, "no Python 3.10 or newer was found");
    assert.equal(failed.severity, "error");
    assert.match(failed.detail, /no Python 3\.10/);
  });
});

describe("readyLine and fastApiMissing", () => {
  it("logs the versions and where they were read", () => {
    assert.equal(
      readyLine(ready),
      "Server 0.1.0 ready: FastAPI 0.115.6, Pydantic 2.10.3 in /work/shop/.venv/bin/python; Context7 online; cache /home/dev/.cache/fastapi-ls/context7",
    );
  });

  it("tells of a missing FastAPI only once the environment was read without error", () => {
    assert.equal(fastApiMissing(ready), false);
    assert.equal(fastApiMissing({ ...ready, fastapi: null }), true);
    assert.equal(fastApiMissing({ ...ready, fastapi: null, environmentReady: false }), false);
    assert.equal(fastApiMissing({ ...ready, fastapi: null, environmentError: "boom" }), false);
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
