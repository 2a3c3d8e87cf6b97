import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ServerLogReader, startupLine, type LogLevel } from "../src/serverLog";

function read(lines: readonly string[]): [LogLevel, string][] {
  const logged: [LogLevel, string][] = [];
  const reader = new ServerLogReader((level, message) => logged.push([level, message]));
  for (const line of lines) {
    reader.line(line);
  }
  return logged;
}

describe("ServerLogReader", () => {
  it("logs each record at its own level, without its timestamp", () => {
    assert.deepEqual(
      read([
        "2026-01-31 10:00:00,123 INFO fastapi_ls.escalation: Context7 lookup 'x': fetched in 0.40 s",
        "2026-01-31 10:00:01,002 WARNING fastapi_ls.server: Context7 cache cleared (1 entries).",
        "2026-01-31 10:00:02,999 ERROR fastapi_ls.server: the Context7 lookup failed",
        "2026-01-31 10:00:03,000 DEBUG pygls.protocol: sending data",
        "2026-01-31 10:00:03,500 CRITICAL fastapi_ls: gone",
      ]),
      [
        ["info", "Context7 lookup 'x': fetched in 0.40 s"],
        ["warn", "Context7 cache cleared (1 entries)."],
        ["error", "the Context7 lookup failed"],
        ["debug", "pygls.protocol: sending data"],
        ["error", "gone"],
      ],
    );
  });

  it("keeps a traceback at the level of the record it belongs to", () => {
    assert.deepEqual(
      read([
        "2026-01-31 10:00:02,999 WARNING fastapi_ls.server: hover failed",
        "Traceback (most recent call last):",
        '  File "x.py", line 1, in <module>',
        "",
        "ValueError: boom",
      ]),
      [
        ["warn", "hover failed"],
        ["warn", "Traceback (most recent call last):"],
        ["warn", '  File "x.py", line 1, in <module>'],
        ["warn", "ValueError: boom"],
      ],
    );
  });

  it("logs what Python prints before any record as an error", () => {
    assert.deepEqual(read(["/usr/bin/python3: No module named fastapi_ls"]), [
      ["error", "/usr/bin/python3: No module named fastapi_ls"],
    ]);
  });
});

describe("startupLine", () => {
  it("names the versions, the window, the server, the interpreter, the key's source and the settings", () => {
    const line = startupLine({
      extensionVersion: "0.1.0",
      editor: "Visual Studio Code 1.139.1",
      remote: "ssh-remote",
      trusted: false,
      server: "/usr/bin/python3 -m fastapi_ls (bundled server in /ext/bundled/libs)",
      interpreter: "/usr/bin/python3 (Python 3.12, from PATH)",
      apiKey: "none (anonymous use, lower limits)",
      settings: '{"interpreter":""}',
    });
    assert.equal(
      line,
      'fastapi-ls extension 0.1.0 on Visual Studio Code 1.139.1, remote window (ssh-remote), workspace not trusted; server: /usr/bin/python3 -m fastapi_ls (bundled server in /ext/bundled/libs); interpreter: /usr/bin/python3 (Python 3.12, from PATH); Context7 API key: none (anonymous use, lower limits); settings: {"interpreter":""}',
    );
  });
});
