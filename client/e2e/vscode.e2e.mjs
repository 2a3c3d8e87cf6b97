// End to end in a real VS Code: code-server with the packaged .vsix installed, driven by
// Chromium through Playwright, against the local Context7 test server.
//
// Run by tests/test_vscode.py, which installs what is needed and passes, in the environment:
//   CODE_SERVER  the code-server executable      NODE_BIN   the directory of its Node 24
//   VSIX         the packaged extension          PYTHON     an interpreter with FastAPI
//   CHROMIUM     the browser executable          OUT        where to write the JSON report
//   REPO         the repository root (for tests/context7_server.py)
// It starts on a Python without FastAPI (the prompt to select
// an interpreter, the language status item), sets a wrong interpreter in User settings (the
// warning, its "Open Settings" button, the fall-back in the log), then the launch and Context7
// settings in User settings, applied live. Then completion, hover, the Context7 code action and
// its Markdown preview, the palette's "Set Context7 API Key" (secret storage, restart) and
// "Look Up in Context7…", then `fastapiLs.path`, and last the Routes view on the template
// project copied beside main.py: the tree filtered, a click to an endpoint, route search.
// Every wait is bounded; the report says which step failed, with a screenshot beside it.

import { spawn, spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const env = process.env;
const report = { steps: [] };
const root = mkdtempSync(join(tmpdir(), "fastapi-ls-vscode-"));
const children = [];

/** A made-up key: the Context7 test server only reports what it receives. */
const API_KEY = "ctx7sk-e2e-0000-test";
const TYPED_QUERY = "sse streaming events";

const MAIN = `from fastapi import Depends, FastAPI, WebSocket

app = FastAPI()


class ConnectionManager:
    def __init__(self) -> None:
        self.active_connections: list[WebSocket] = []


def get_db():
    yield {}


@app.get("/items/{item_id}")
async def read_item(item_id: int, db=Depends(get_db)):
    return {"item_id": item_id}
`;

/** The User settings file, as the user would edit it: the workbench picks changes up live. */
function writeUserSettings(extension) {
  writeFileSync(
    join(root, "user-data", "User", "settings.json"),
    JSON.stringify({
      "security.workspace.trust.enabled": false,
      "workbench.startupEditor": "none",
      "telemetry.telemetryLevel": "off",
      // The current form of this setting: an older one ("false") makes the workbench rewrite
      // settings.json at start-up, after which the extension host can lose every user setting.
      "extensions.autoUpdate": "off",
      "chat.disableAIFeatures": true,
      "editor.quickSuggestions": { other: false, comments: false, strings: false },
      ...extension,
    }),
  );
}

function step(name, detail = {}) {
  report.steps.push({ name, at: new Date().toISOString(), ...detail });
}

/** Start a child process and resolve with the first stdout line matching `pattern`. */
function startAndWait(command, args, options, pattern, timeoutMs) {
  const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let output = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${command}: no ${pattern} in ${timeoutMs} ms:\n${output}`)),
      timeoutMs,
    );
    const onData = (chunk) => {
      output += chunk.toString();
      const match = output.match(pattern);
      if (match) {
        clearTimeout(timer);
        resolve({ child, match, output: () => output });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => reject(new Error(`${command} exited with ${code}:\n${output}`)));
  });
}

async function main() {
  const workspace = join(root, "shop");
  const userData = join(root, "user-data");
  const extensions = join(root, "extensions");
  const cache = join(root, "context7-cache");
  mkdirSync(workspace, { recursive: true });
  mkdirSync(join(userData, "User"), { recursive: true });
  writeFileSync(join(workspace, "main.py"), MAIN);
  writeFileSync(join(workspace, "pyproject.toml"), '[project]\nname = "shop"\ndependencies = ["fastapi"]\n');
  // A second app with nested routers, a conditional include and tests that call its routes.
  const fixtures = join(env.REPO, "tests", "fixtures");
  cpSync(join(fixtures, "routes", "template", "app"), join(workspace, "app"), { recursive: true });
  cpSync(join(fixtures, "routes_lsp", "template_tests"), join(workspace, "tests"), { recursive: true });

  const context7 = await startAndWait(
    env.PYTHON,
    [join(env.REPO, "tests", "context7_server.py")],
    {},
    /^(http:\S+)$/m,
    20000,
  );
  const baseUrl = context7.match[1];
  step("context7 started", { baseUrl });

  // The venv's base Python: never has the packages of the venv, FastAPI among them.
  const base = spawnSync(env.PYTHON, ["-c", "import sys; print(sys._base_executable)"], { encoding: "utf8" });
  report.pythonWithoutFastApi = base.stdout.trim();
  writeUserSettings({ "fastapiLs.interpreter": report.pythonWithoutFastApi });
  report.liveSettings = {
    "fastapiLs.interpreter": env.PYTHON,
    "fastapiLs.importStrategy": "fromEnvironment",
    "fastapiLs.context7.baseUrl": baseUrl,
    "fastapiLs.context7.cacheDir": cache,
  };

  const path = `${env.NODE_BIN}:${env.PATH}`;
  const install = spawnSync(
    env.CODE_SERVER,
    ["--install-extension", env.VSIX, "--extensions-dir", extensions, "--user-data-dir", userData],
    { env: { ...env, PATH: path }, encoding: "utf8", timeout: 120000 },
  );
  step("extension installed", {
    status: install.status,
    output: (install.stdout + install.stderr).slice(-500),
  });
  if (install.status !== 0) throw new Error(`installing the .vsix failed: ${install.stderr}`);
  report.installed = readdirSync(extensions).filter((name) => name.includes("fastapi-ls"));

  const server = await startAndWait(
    env.CODE_SERVER,
    [
      "--auth",
      "none",
      "--bind-addr",
      "127.0.0.1:0",
      "--user-data-dir",
      userData,
      "--extensions-dir",
      extensions,
      "--disable-telemetry",
      "--disable-update-check",
      "--disable-workspace-trust",
      workspace,
    ],
    { env: { ...env, PATH: path } },
    /HTTP server listening on (http:\/\/127\.0\.0\.1:\d+)/,
    60000,
  );
  const url = `${server.match[1]}/?folder=${encodeURIComponent(workspace)}`;
  step("code-server started", { url });

  const browser = await chromium.launch({
    executablePath: env.CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  const page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
  try {
    await drive(page, url, context7);
  } catch (error) {
    await page.screenshot({ path: `${env.OUT}.png` }).catch(() => {});
    throw error;
  } finally {
    await browser.close();
  }
}

async function drive(page, url, context7) {
  await page.goto(url);
  await page.waitForSelector(".monaco-workbench", { timeout: 90000 });
  step("workbench loaded");

  // Quick Open, once its list shows the file (the workbench may still be busy at first).
  for (let attempt = 0; attempt < 10; attempt++) {
    await page.keyboard.press("Control+P");
    await page.keyboard.type("main.py");
    const row = page.locator(".quick-input-list .monaco-list-row", { hasText: "main.py" }).first();
    if (
      await row.waitFor({ timeout: 5000 }).then(
        () => true,
        () => false,
      )
    ) {
      await page.keyboard.press("Enter");
      if (
        await page.waitForSelector(".monaco-editor .view-lines", { timeout: 5000 }).then(
          () => true,
          () => false,
        )
      )
        break;
    }
    await page.keyboard.press("Escape");
  }
  await page.waitForSelector(".monaco-editor .view-lines", { timeout: 10000 });
  step("main.py open");

  // The interpreter has no FastAPI: the language status item says so, and a notification
  // offers to select another.
  await waitFor(
    async () => (await languageStatus(page)).includes("FastAPI not installed"),
    90000,
    "FastAPI not installed",
  );
  report.statusWithoutFastApi = await languageStatus(page);
  const prompt = page.locator(".notification-toast", { hasText: "FastAPI is not installed in" }).first();
  await prompt.waitFor({ timeout: 30000 });
  report.missingFastApiPrompt = {
    text: await prompt.locator(".notification-list-item-message").innerText(),
    buttons: await prompt.locator(".monaco-button").allInnerTexts(),
  };
  await closeNotifications(page);
  step("no FastAPI: said", report.missingFastApiPrompt);

  // A wrong interpreter in User settings: a warning whose button opens that setting, and the
  // log says which Python was used instead.
  await setUserSetting(page, "fastapiLs.interpreter", "/nowhere/bin/python");
  const warning = page.locator(".notification-toast", { hasText: "/nowhere/bin/python" }).first();
  await warning.waitFor({ timeout: 60000 });
  report.wrongInterpreterWarning = await warning.locator(".notification-list-item-message").innerText();
  await warning.locator(".monaco-button", { hasText: "Open Settings" }).click();
  const settingRow = page.locator(".settings-editor .setting-item-contents").first();
  await settingRow.waitFor({ timeout: 20000 });
  report.openedSettings = await page.locator(".settings-editor .setting-item-contents").allInnerTexts();
  await waitFor(
    () => extensionLog().some((line) => line.includes("fell back to")),
    30000,
    "the fall-back line",
  );
  await closeNotifications(page);
  await page.keyboard.press("Control+W");
  step("wrong interpreter: warned", { openedSettings: report.openedSettings.length });

  // The launch and Context7 settings in User settings: the server restarts with them.
  for (const [id, value] of Object.entries(report.liveSettings)) await setUserSetting(page, id, value);
  await waitFor(async () => /^FastAPI \d/.test(await languageStatus(page)), 90000, "the project's FastAPI");
  report.languageStatus = await languageStatus(page);
  step("extension active", { languageStatus: report.languageStatus });

  // Completion: "ge" on the blank top-level line 4, Ctrl+Space; read the suggest widget's rows.
  // Typing needs a click in the editor: focusing its hidden textarea is not enough any more.
  await page.locator(".monaco-editor .view-lines").first().click();
  await page.keyboard.press("Control+G");
  await page.keyboard.type("4");
  await page.keyboard.press("Enter");
  await page.keyboard.type("ge");
  let rows = [];
  for (let attempt = 0; attempt < 20 && !rows.some((row) => row.includes("GET one item")); attempt++) {
    await page.keyboard.press("Control+Space");
    await page.waitForTimeout(700);
    rows = await page.locator(".suggest-widget .monaco-list-row").allInnerTexts();
  }
  report.completions = rows;
  await page.keyboard.press("Control+Space"); // the focused row's details beside the list
  await page.waitForTimeout(800);
  await screenshot(page, "completion");
  step("completion", { rows: rows.length });
  await page.keyboard.press("Escape");
  for (let index = 0; index < 2; index++) await page.keyboard.press("Backspace");

  // Hover: the mouse over "Depends" on the first line.
  const depends = page.locator(".view-line span", { hasText: /^Depends$/ }).first();
  let hover = "";
  for (let attempt = 0; attempt < 15 && !hover.includes("Depends"); attempt++) {
    await page.mouse.move(5, 5);
    await depends.hover();
    await page.waitForTimeout(900);
    hover = (await page.locator(".monaco-hover-content").allInnerTexts()).join("\n");
  }
  report.hover = hover;
  step("hover", { length: hover.length });
  await page.mouse.move(5, 5);

  // Code action: the cursor on the ConnectionManager line, Ctrl+. lists the Context7 action.
  const manager = page.locator(".view-line span", { hasText: /^ConnectionManager$/ }).first();
  await manager.click();
  let actions = [];
  for (let attempt = 0; attempt < 15 && !actions.some((a) => a.includes("Context7")); attempt++) {
    await page.keyboard.press("Escape");
    await page.keyboard.press("Control+.");
    await page.waitForTimeout(900);
    actions = await page
      .locator(".action-widget .monaco-list-row, .context-view .action-label")
      .allInnerTexts();
  }
  report.codeActions = actions;
  step("code actions", { count: actions.length });
  const action = page
    .locator(".action-widget .monaco-list-row", { hasText: "Context7: WebSocket connection manager" })
    .first();
  await action.click({ timeout: 10000 });
  step("action chosen");

  // The document opens in the Markdown preview beside the code; the test reads what came.
  let tabs = [];
  const tabsShow = (pattern) => async () => {
    tabs = await page
      .locator(".tabs-container .tab")
      .evaluateAll((nodes) => nodes.map((n) => n.getAttribute("aria-label") || n.textContent || ""));
    return tabs.some((tab) => pattern.test(tab));
  };
  await waitFor(tabsShow(/Preview|\.md/), 20000, "a Markdown tab").catch(() => {});
  report.tabs = tabs;
  await page.waitForTimeout(1500);
  await screenshot(page, "context7-document");
  // The Context7 test server reports each request on its stdout a moment after answering it.
  const requests = () =>
    context7
      .output()
      .split("\n")
      .filter((line) => line.startsWith("context "));
  await waitFor(() => requests().length > 0, 5000, "a Context7 request").catch(() => {});
  report.context7Requests = requests();
  step("document opened", { tabs });

  // "Set Context7 API key": the key goes to the secret storage, the server restarts with it.
  await runCommand(page, "FastAPI: Set Context7 API Key");
  await page.keyboard.type(API_KEY);
  await page.keyboard.press("Enter");
  await waitFor(
    () => extensionLog().some((line) => line.includes("Context7 API key: from VS Code's secret storage")),
    30000,
    "the restart with the stored key",
  );
  // Running again once the language status shows the versions the new server found.
  await waitFor(async () => /^FastAPI \d/.test(await languageStatus(page)), 60000, "the restarted server");
  step("API key stored, server restarted");

  // "Look up in Context7…" with a query typed in, sent with the key.
  await runCommand(page, "FastAPI: Look Up in Context7");
  await page.keyboard.press("Control+A");
  await page.keyboard.type(TYPED_QUERY);
  await page.keyboard.press("Enter");
  await waitFor(() => requests().some((line) => line.includes(TYPED_QUERY)), 60000, "the typed lookup");
  await waitFor(tabsShow(/^Preview sse-streaming/), 30000, "the typed lookup's preview");
  report.lookupTabs = tabs;
  report.context7Requests = requests();
  report.documents = readdirSync(join(root, "context7-cache", "documents"), { recursive: true }).map(String);
  step("typed lookup opened", { tabs });
  await page.screenshot({ path: `${env.OUT}.png` });

  // fastapiLs.path, set in User settings: the server restarts as that executable.
  const executable = join(root, "fastapi-ls");
  writeFileSync(executable, `#!/bin/sh\nexec "${env.PYTHON}" -m fastapi_ls -v "$@"\n`, { mode: 0o755 });
  await setUserSetting(page, "fastapiLs.path", [executable]);
  await waitFor(
    () => extensionLog().some((line) => line.includes("(fastapiLs.path)")),
    60000,
    "the restart with fastapiLs.path",
  );
  await waitFor(
    async () => /^FastAPI \d/.test(await languageStatus(page)),
    60000,
    "the server of fastapiLs.path",
  );
  step("fastapiLs.path applied");

  await routesView(page);
}

/** The Routes view, filtered to what fits in it, a click on a route, and route search. */
async function routesView(page) {
  // One editor group beside the view, for the picture.
  await runCommand(page, "View: Close Editors in Other Groups");
  await runCommand(page, "Focus on Routes View");
  // The view has the "FastAPI" side bar to itself.
  const pane = page.locator("#workbench\\.parts\\.sidebar").first();
  const rows = () =>
    pane.locator(".monaco-list-row").evaluateAll((nodes) =>
      nodes.map((node) => ({
        level: Number(node.getAttribute("aria-level")),
        name: node.querySelector(".label-name")?.textContent ?? "",
        description: node.querySelector(".label-description")?.textContent ?? "",
      })),
    );
  const filterTo = async (text, expected) => {
    await runCommand(page, "FastAPI: Filter Routes");
    await page.keyboard.press("Control+A");
    await page.keyboard.type(text);
    await page.keyboard.press("Enter");
    await page.locator(".quick-input-widget").waitFor({ state: "hidden", timeout: 5000 });
    // Filtered once every route shown (`METHOD /path`) has the word in its path.
    const filtered = (shown) =>
      shown.some((row) => row.name === expected) &&
      shown.every((row) => !row.name.includes(" /") || row.name.includes(text));
    // …and the rows read the same twice in a row (the tree redraws in steps).
    let last = "";
    await waitFor(
      async () => {
        const shown = await rows();
        const same = JSON.stringify(shown) === last;
        last = JSON.stringify(shown);
        return same && filtered(shown);
      },
      60000,
      expected,
    );
    return JSON.parse(last);
  };
  report.routesConditional = await filterTo("private", "POST /api/v1/private/users/");
  report.routesItems = await filterTo("items", "GET /api/v1/items/{id}");
  step("routes view", { rows: report.routesItems.length });

  // A click on a route opens its endpoint with the function's name selected.
  await pane.locator(".monaco-list-row", { hasText: "GET /api/v1/items/{id}" }).first().click();
  report.routeClicked = await openedAt(page, "items.py", "(9 selected)");
  // The server's CodeLens ("2 tests") above the endpoint, for the picture.
  await page
    .locator(".codelens-decoration")
    .first()
    .waitFor({ timeout: 10000 })
    .catch(() => {});
  report.codeLenses = await page.locator(".codelens-decoration").allInnerTexts();
  await page.mouse.move(700, 400);
  await page.waitForTimeout(500);
  await screenshot(page, "routes-view");
  await runCommand(page, "FastAPI: Clear Routes Filter");
  step("route clicked", report.routeClicked);

  // Route search: fuzzy over `METHOD /path`; Enter goes to the endpoint.
  await runCommand(page, "FastAPI: Search Routes");
  await page.keyboard.type("del items");
  const picks = page.locator(".quick-input-list .monaco-list-row");
  // The rows follow the typing: read them once all is typed and they hold still.
  const query = page.locator(".quick-input-widget input").first();
  let last = "";
  await waitFor(
    async () => {
      const shown = JSON.stringify(await picks.allInnerTexts());
      const same = shown === last;
      last = shown;
      return same && (await query.inputValue()) === "del items" && (await picks.count()) > 0;
    },
    10000,
    "route search rows",
  );
  report.routeSearch = await picks.allInnerTexts();
  await page.keyboard.press("Enter");
  report.routeSearched = await openedAt(page, "items.py", "(11 selected)");
  step("route searched", report.routeSearched);
}

/** Once the active tab is `file` and the selection reads `selected`: the tab and selection. */
async function openedAt(page, file, selected) {
  const tab = page.locator(".tabs-container .tab.active").first();
  const selection = page.locator("#status\\.editor\\.selection").first();
  const where = async () => ({
    tab: ((await tab.textContent().catch(() => "")) ?? "").trim(),
    selection: ((await selection.textContent().catch(() => "")) ?? "").trim(),
  });
  await waitFor(
    async () => {
      const now = await where();
      return now.tab.startsWith(file) && now.selection.includes(selected);
    },
    15000,
    `${file} with ${selected}`,
  );
  return where();
}

/**
 * The extension's language status item: hover the `{}` entry beside "Python" in the status bar
 * and read the item's text and details from the hover ("" when not shown).
 */
async function languageStatus(page) {
  const entry = page.locator("#status\\.languageStatus").first();
  if (!(await entry.isVisible().catch(() => false))) return "";
  await entry.hover();
  const item = page.locator(".hover-language-status", { hasText: "FastAPI" }).first();
  const shown = await item.waitFor({ timeout: 3000 }).then(
    () => true,
    () => false,
  );
  const text = shown ? (await item.innerText()).replace(/\s*\n\s*/g, "\n") : "";
  if (/^FastAPI \d/.test(text)) await screenshot(page, "language-status");
  await page.mouse.move(700, 400);
  return text;
}

/**
 * Set a setting as a user would: the Settings editor's User tab, the setting found by its id,
 * the value typed in (a text box), chosen (a list) or added item by item (an array).
 */
async function setUserSetting(page, id, value) {
  await runCommand(page, "Preferences: Open User Settings");
  const search = page.locator(".settings-editor .settings-header .monaco-editor").first();
  await search.waitFor({ timeout: 20000 });
  await search.click();
  await page.keyboard.press("Control+A");
  await page.keyboard.type(`@id:${id}`);
  const rows = page.locator(".settings-editor .settings-tree-container .setting-item-contents");
  await waitFor(async () => (await rows.count()) === 1, 10000, `the setting ${id}`);
  const row = rows.first();
  if (Array.isArray(value)) {
    for (const item of value) {
      await row.locator(".setting-list-addButton").first().click();
      const input = row.locator(".setting-list-edit-row input").first();
      await input.fill(item);
      await input.press("Enter");
    }
  } else if (await row.locator("select").count()) {
    await row.locator("select").first().selectOption(String(value));
  } else {
    const input = row.locator("input").first();
    await input.click();
    await page.keyboard.press("Control+A");
    await page.keyboard.type(String(value));
    await page.keyboard.press("Tab");
  }
  // The Settings editor writes a moment after the last change.
  await page.waitForTimeout(1200);
  step(`set ${id}`);
  await page.keyboard.press("Control+W");
}

/** With SCREENSHOTS set (a directory), the README's pictures are taken on the way. */
async function screenshot(page, name) {
  if (env.SCREENSHOTS) await page.screenshot({ path: join(env.SCREENSHOTS, `${name}.png`) });
}

async function closeNotifications(page) {
  for (const close of await page.locator(".notification-toast .codicon-notifications-clear").all()) {
    await close.click().catch(() => {});
  }
}

/** Run a command from the palette by its title. */
async function runCommand(page, title) {
  const input = page.locator(".quick-input-widget input").first();
  // A focused Markdown preview (a webview) keeps the keys: focus the code editor first.
  for (let attempt = 0; attempt < 5 && !(await input.isVisible()); attempt++) {
    await page.locator(".monaco-editor .view-lines").first().click();
    await page.keyboard.press("F1");
    await input.waitFor({ timeout: 3000 }).catch(() => {});
  }
  await input.waitFor({ timeout: 3000 });
  await page.keyboard.type(title);
  const row = page.locator(".quick-input-list .monaco-list-row", { hasText: title }).first();
  await row.waitFor({ timeout: 10000 });
  await page.keyboard.press("Enter");
  // The command's own input box replaces the palette.
  await page.waitForTimeout(500);
}

/** Poll `check` until it holds; fail with what was awaited. */
async function waitFor(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

try {
  await main();
  report.ok = true;
} catch (error) {
  report.ok = false;
  report.error = String(error && error.stack ? error.stack : error);
} finally {
  for (const child of children) child.kill("SIGTERM");
  report.extensionLog = extensionLog();
  writeFileSync(env.OUT, JSON.stringify(report, null, 2));
  if (!existsSync(env.OUT)) process.exitCode = 2;
  // The profile, logs and cache are kept for a look at a failed run only.
  if (report.ok) rmSync(root, { recursive: true, force: true });
}

/** The extension's own log (its output channel), for the report. */
function extensionLog() {
  const logs = join(root, "user-data", "logs");
  if (!existsSync(logs)) return [];
  const found = readdirSync(logs, { recursive: true }).find((name) =>
    String(name).endsWith("FastAPI Language Server.log"),
  );
  return found
    ? readFileSync(join(logs, String(found)), "utf8")
        .split("\n")
        .slice(-400)
    : [];
}
