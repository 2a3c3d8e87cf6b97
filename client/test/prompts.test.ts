import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { importsFastApi, interpreterTarget, settingQuery } from "../src/prompts";

describe("importsFastApi", () => {
  it("sees FastAPI imported in any of the usual forms", () => {
    for (const text of [
      "from fastapi import FastAPI\n",
      "import os\nimport fastapi\n",
      "if True:\n    from fastapi.responses import JSONResponse\n",
      "from fastapi import (\n    Depends,\n)\n",
    ]) {
      assert.equal(importsFastApi(text), true, text);
    }
  });

  it("ignores other packages, comments and strings that mention it", () => {
    for (const text of [
      "from fastapi_users import FastAPIUsers\n",
      "import fastapix\n",
      "# from fastapi import FastAPI\n",
      'doc = "from fastapi import FastAPI"\n',
      "",
    ]) {
      assert.equal(importsFastApi(text), false, text);
    }
  });
});

describe("interpreterTarget", () => {
  it("writes to the workspace only when it is trusted and has a folder", () => {
    assert.equal(interpreterTarget(true, true), "workspace");
    assert.equal(interpreterTarget(false, true), "user");
    assert.equal(interpreterTarget(true, false), "user");
  });
});

describe("settingQuery", () => {
  it("finds exactly the setting by its id", () => {
    assert.equal(settingQuery("fastapiLs.interpreter"), "@id:fastapiLs.interpreter");
  });
});
