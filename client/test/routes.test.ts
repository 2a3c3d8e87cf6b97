import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  buildTree,
  commonPath,
  curlCommand,
  docsUrl,
  fuzzyScore,
  matchesFilter,
  methodColor,
  NO_APP,
  normalBaseUrl,
  operationId,
  parseRouteTable,
  routeDescription,
  routeLabel,
  routeTooltip,
  searchRoutes,
  searchRows,
  MAX_SEARCH_ROWS,
  shellQuote,
  type RouteInfo,
  type RouteTable,
  type TreeNode,
} from "../src/routes";
import answer from "./fixtures/routes.json";

/** The fixture: a `fastapiLs/routes` answer for a project with nested routers. */
function fixture(): RouteTable {
  const table = parseRouteTable(structuredClone(answer));
  assert.ok(table);
  return table;
}

function route(endpoint: string): RouteInfo {
  const found = fixture().routes.find((candidate) => candidate.endpoint === endpoint);
  assert.ok(found, endpoint);
  return found;
}

const relative = (uri: string): string => uri.replace("file:///work/shop/", "");

/** The tree as indented lines: `label — description` for apps and routers, the label for routes. */
function outline(nodes: readonly TreeNode[], depth = 0): string[] {
  return nodes.flatMap((node) => {
    const indent = "  ".repeat(depth);
    if (node.kind === "route") {
      return [`${indent}${routeLabel(node.route)}`];
    }
    return [`${indent}${node.label} — ${node.description}`, ...outline(node.children, depth + 1)];
  });
}

describe("parseRouteTable", () => {
  it("reads the server's answer", () => {
    const table = fixture();
    assert.equal(table.ready, true);
    assert.equal(table.apps.length, 3);
    assert.equal(table.routes.length, answer.routes.length);
  });

  it("rejects what is not a route table", () => {
    for (const value of [null, "routes", [], { ready: true }, { ready: "yes", apps: [], routes: [] }]) {
      assert.equal(parseRouteTable(value), undefined, JSON.stringify(value));
    }
  });

  it("leaves out an entry of the wrong shape and keeps the rest", () => {
    const broken = structuredClone(answer) as { routes: unknown[]; apps: unknown[] };
    broken.routes[0] = { ...(broken.routes[0] as object), range: { start: { line: 1 } } };
    broken.routes[1] = { ...(broken.routes[1] as object), methods: "GET" };
    broken.apps.push({ id: "x", label: "app" });
    const table = parseRouteTable(broken);
    assert.ok(table);
    assert.equal(table.routes.length, answer.routes.length - 2);
    assert.equal(table.apps.length, 3);
  });
});

describe("buildTree", () => {
  it("nests routers as the include chains go, with the paths their routes share", () => {
    assert.deepEqual(outline(buildTree(fixture(), "", relative)), [
      "app — main.py · 6 routes",
      "  api — /root/api",
      "    GET /root/api/ping",
      "    v1 — /root/api/versions/v1",
      "      GET /root/api/versions/v1/status",
      "      items — /root/api/versions/v1/items",
      "        GET /root/api/versions/v1/items/{item_id}",
      "        POST /root/api/versions/v1/items/",
      "  debug_router — /debug",
      "    GET /debug/settings",
      "  WS /ws",
      "create_app().app — admin.py · 1 route",
      "  GET|HEAD /health",
      "app — tests/test_api.py · 0 routes",
      "Not included by any app — 1 route",
      "  legacy.router — /legacy",
      "    DELETE /legacy/{legacy_id}",
    ]);
  });

  it("gives every node an id unique in the tree, stable across answers", () => {
    const ids = (nodes: readonly TreeNode[]): string[] =>
      nodes.flatMap((node) => [node.id, ...(node.kind === "route" ? [] : ids(node.children))]);
    const first = ids(buildTree(fixture(), "", relative));
    assert.equal(new Set(first).size, first.length);
    assert.deepEqual(ids(buildTree(fixture(), "", relative)), first);
  });

  it("keeps the app for navigation and puts the routers no app includes last", () => {
    const tree = buildTree(fixture(), "", relative);
    const [first] = tree;
    const last = tree.at(-1);
    assert.ok(first?.app && last);
    assert.equal(first.app.uri, "file:///work/shop/main.py");
    assert.equal(first.app.range.start.line, 8);
    assert.equal(last.id, NO_APP);
    assert.equal(last.app, undefined);
  });

  it("shows a route listed twice once", () => {
    const table = fixture();
    const doubled = { ...table, routes: [...table.routes, ...table.routes] };
    assert.deepEqual(outline(buildTree(doubled, "", relative)), outline(buildTree(table, "", relative)));
  });

  it("filters on method, path, endpoint, tag and condition, dropping empty apps and routers", () => {
    assert.deepEqual(outline(buildTree(fixture(), "post items", relative)), [
      "app — main.py · 1 route",
      "  api — /root/api",
      "    v1 — /root/api/versions/v1",
      "      items — /root/api/versions/v1/items",
      "        POST /root/api/versions/v1/items/",
    ]);
    const only = (filter: string): string[] =>
      outline(buildTree(fixture(), filter, relative)).filter((line) => !line.includes(" — "));
    assert.deepEqual(only("ENVIRONMENT"), ["    GET /debug/settings"]);
    assert.deepEqual(only("legacy admin"), ["    DELETE /legacy/{legacy_id}"]);
    assert.deepEqual(only("Health"), ["  GET|HEAD /health"]);
    assert.deepEqual(buildTree(fixture(), "nothing-like-this", relative), []);
  });
});

describe("commonPath", () => {
  it("keeps whole segments only", () => {
    assert.equal(commonPath(["/api/v1/items", "/api/v1/users"]), "/api/v1");
    assert.equal(commonPath(["/api/items", "/api/itemsets"]), "/api");
    assert.equal(commonPath(["/items", "/items/{id}"]), "/items");
    assert.equal(commonPath(["/a", "/b"]), "");
    assert.equal(commonPath([]), "");
  });

  it("leaves a single path's last segment to its route", () => {
    assert.equal(commonPath(["/users/me"]), "/users");
    assert.equal(commonPath(["/users/", "/users/"]), "/users");
    assert.equal(commonPath(["/"]), "");
  });
});

describe("how a route reads", () => {
  it("marks a conditional route with its condition, cut when long", () => {
    assert.equal(routeDescription(route("read_item")), "read_item");
    assert.equal(
      routeDescription(route("show_settings")),
      "show_settings · only if settings.ENVIRONMENT == 'local'",
    );
    const long = { ...route("show_settings"), condition: "x".repeat(100) };
    assert.equal(routeDescription(long), `show_settings · only if ${"x".repeat(39)}…`);
  });

  it("says in the tooltip where it is defined, how it is included and what it declares", () => {
    const tooltip = routeTooltip(route("create_item"), relative);
    assert.match(tooltip, /`POST \/root\/api\/versions\/v1\/items\/`/);
    assert.match(tooltip, /Defined in: v1\.py:16/);
    assert.match(tooltip, /Included through: app → api → v1 → items/);
    assert.match(tooltip, /Response model: `Item`/);
    assert.match(tooltip, /Status code: 201/);
    assert.doesNotMatch(tooltip, /Served only if/);
    assert.match(
      routeTooltip(route("show_settings"), relative),
      /Served only if: `settings.ENVIRONMENT == 'local'`/,
    );
    assert.match(routeTooltip(route("read_item"), relative), /Tests calling it: 2/);
  });

  it("colors the method badge by method", () => {
    assert.equal(methodColor(route("read_item")), "charts.blue");
    assert.equal(methodColor(route("create_item")), "charts.green");
    assert.equal(methodColor(route("drop_legacy")), "charts.red");
    assert.equal(methodColor(route("feed")), "charts.purple");
    assert.equal(methodColor({ ...route("read_item"), methods: ["OPTIONS"] }), "descriptionForeground");
  });
});

describe("route search", () => {
  const labels = (query: string): string[] => searchRoutes(fixture().routes, query).map(routeLabel);

  it("matches letters in order, not necessarily together", () => {
    assert.notEqual(fuzzyScore("gitm", "GET /items/{id}"), undefined);
    assert.notEqual(fuzzyScore("v1 stat", "GET /api/v1/status"), undefined);
    assert.equal(fuzzyScore("mtig", "GET /items/{id}"), undefined);
    assert.equal(fuzzyScore("post", "GET /items/{id}"), undefined);
    assert.notEqual(fuzzyScore("tems", "GET /items/{id}"), undefined, "a whole word anywhere");
  });

  it("starts each word where a segment or word starts", () => {
    const scattered = "POST /password-recovery-html-content/{email} recover_password_html_content";
    assert.equal(fuzzyScore("del items", scattered), undefined);
    assert.equal(fuzzyScore("tms", "GET /items/{id}"), undefined);
    assert.notEqual(fuzzyScore("rpass", scattered), undefined);
  });

  it("ranks letters together and at segment starts above scattered ones", () => {
    const together = fuzzyScore("items", "GET /items/{id}");
    const scattered = fuzzyScore("items", "GET /i/t/e/m/s");
    assert.ok(together !== undefined && scattered !== undefined && together > scattered);
  });

  it("lists every route in the server's order for an empty query", () => {
    assert.deepEqual(labels("  "), fixture().routes.map(routeLabel));
  });

  it("puts the best match first", () => {
    assert.equal(labels("post items")[0], "POST /root/api/versions/v1/items/");
    assert.equal(labels("get item id")[0], "GET /root/api/versions/v1/items/{item_id}");
    assert.equal(labels("health")[0], "GET|HEAD /health");
    assert.equal(labels("dellegacy")[0], "DELETE /legacy/{legacy_id}");
    assert.equal(labels("read_item")[0], "GET /root/api/versions/v1/items/{item_id}");
    assert.deepEqual(labels("zzz"), []);
  });
});

describe("searchRows", () => {
  it("shows `METHOD /path`, then the endpoint and the line of its name", () => {
    const [row] = searchRows(fixture().routes, "v1 status", relative);
    assert.deepEqual(
      { label: row?.label, description: row?.description },
      { label: "GET /root/api/versions/v1/status", description: "status · v1.py:13" },
    );
    assert.equal(row?.route.endpoint, "status");
  });

  it("stops at a bounded number of rows", () => {
    const many = Array.from({ length: MAX_SEARCH_ROWS + 50 }, (_, index) => ({
      ...route("read_item"),
      id: String(index),
      path: `/items/${index}`,
    }));
    assert.equal(searchRows(many, "", relative).length, MAX_SEARCH_ROWS);
    assert.equal(searchRows(many, "items 12", relative)[0]?.label, "GET /items/12");
  });
});

describe("copy and open", () => {
  it("copies a curl command for the route's first method", () => {
    assert.equal(
      curlCommand(route("read_item"), undefined),
      "curl --globoff 'http://127.0.0.1:8000/root/api/versions/v1/items/{item_id}'",
    );
    assert.equal(
      curlCommand(route("create_item"), "https://staging.example.com/base"),
      "curl --globoff -X POST 'https://staging.example.com/base/root/api/versions/v1/items/' -H 'Content-Type: application/json' -d '{}'",
    );
    assert.equal(
      curlCommand(route("drop_legacy"), "http://localhost:9000"),
      "curl --globoff -X DELETE 'http://localhost:9000/legacy/{legacy_id}'",
    );
    assert.equal(
      curlCommand({ ...route("health"), methods: ["HEAD"] }, undefined),
      "curl --globoff --head 'http://127.0.0.1:8000/health'",
    );
    assert.equal(curlCommand(route("feed"), undefined), undefined);
  });

  it("quotes so that a shell expands nothing", () => {
    assert.equal(shellQuote("/it's/$HOME/`id`"), "'/it'\\''s/$HOME/`id`'");
    const odd = { ...route("read_item"), path: "/o'clock" };
    assert.equal(curlCommand(odd, undefined), "curl --globoff 'http://127.0.0.1:8000/o'\\''clock'");
  });

  it("accepts only an http(s) base URL, without its trailing slash", () => {
    assert.equal(normalBaseUrl(" http://127.0.0.1:8000/ "), "http://127.0.0.1:8000");
    assert.equal(normalBaseUrl("https://api.example.com/v2//"), "https://api.example.com/v2");
    for (const value of [
      "",
      "  ",
      "javascript:alert(1)",
      "file:///etc/passwd",
      "localhost:8000",
      "not a url",
    ]) {
      assert.equal(normalBaseUrl(value), undefined, value);
    }
  });

  it("links to the operation in the Swagger UI as FastAPI names it", () => {
    // The ids below are FastAPI's own `APIRoute.unique_id` for these endpoints and paths.
    assert.equal(operationId(route("read_item")), "read_item_root_api_versions_v1_items__item_id__get");
    assert.equal(
      operationId({ ...route("create_item"), endpoint: "upload", path: "/files/{file_path:path}" }),
      "upload_files__file_path__post",
    );
    assert.equal(
      operationId({ ...route("read_item"), endpoint: "café", path: "/café/{id}" }),
      "café_café__id__get",
    );
    assert.equal(
      docsUrl(route("read_item"), "http://127.0.0.1:8000"),
      "http://127.0.0.1:8000/docs#/items/read_item_root_api_versions_v1_items__item_id__get",
    );
    assert.equal(
      docsUrl(route("ping"), "http://127.0.0.1:8000"),
      "http://127.0.0.1:8000/docs#/default/ping_root_api_ping_get",
    );
  });

  it("opens the docs page alone for a route no app serves, and nothing for a WebSocket", () => {
    assert.equal(docsUrl(route("drop_legacy"), "http://h"), "http://h/docs");
    assert.equal(docsUrl(route("feed"), "http://h"), undefined);
    assert.equal(
      docsUrl({ ...route("read_item"), tags: ["user admin"] }, "http://h"),
      "http://h/docs#/user%20admin/read_item_root_api_versions_v1_items__item_id__get",
    );
  });
});

describe("matchesFilter", () => {
  it("needs every word, in any case", () => {
    assert.equal(matchesFilter(route("read_item"), "GET Items"), true);
    assert.equal(matchesFilter(route("read_item"), "get users"), false);
    assert.equal(matchesFilter(route("read_item"), ""), true);
  });
});
