/**
 * The Routes view's data: the server's route table (`fastapiLs/routes`), the tree of apps,
 * routers and routes built from it, the filter, the fuzzy route search, and what the context
 * menu copies or opens. Pure: no VS Code API, so all of it is tested with fixture answers.
 */

export const ROUTES_REQUEST = "fastapiLs/routes";
export const ROUTES_CHANGED = "fastapiLs/routesChanged";

/** Where "Copy as curl" sends a request when `fastapiLs.routes.baseUrl` is not set. */
export const DEFAULT_BASE_URL = "http://127.0.0.1:8000";

export interface Position {
  readonly line: number;
  readonly character: number;
}

/** In LSP's shape: zero-based lines and UTF-16 characters. */
export interface Range {
  readonly start: Position;
  readonly end: Position;
}

export interface AppInfo {
  readonly id: string;
  /** `app`, or `create_app().app` for an app a factory builds. */
  readonly label: string;
  readonly uri: string;
  readonly range: Range;
}

export interface RouteInfo {
  readonly id: string;
  /** `GET /api/v1/items/{id}`. */
  readonly label: string;
  readonly methods: readonly string[];
  /** The full path the app serves (router-relative for a router no app includes). */
  readonly path: string;
  readonly endpoint: string;
  readonly uri: string;
  /** The decorator. */
  readonly range: Range;
  /** The endpoint function's name. */
  readonly selectionRange: Range;
  readonly app: string | null;
  /** The app's label (when `app` is set), then each router as its include call names it. */
  readonly chain: readonly string[];
  readonly conditional: boolean;
  readonly condition: string | null;
  readonly tags: readonly string[];
  readonly responseModel: string | null;
  readonly statusCode: string | null;
  readonly tests: number;
}

export interface RouteTable {
  /** False while the server is still reading the workspace for the first time. */
  readonly ready: boolean;
  readonly apps: readonly AppInfo[];
  readonly routes: readonly RouteInfo[];
}

// --- reading the answer --------------------------------------------------------------------

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isPosition(value: unknown): value is Position {
  return isRecord(value) && Number.isInteger(value["line"]) && Number.isInteger(value["character"]);
}

function isRange(value: unknown): value is Range {
  return isRecord(value) && isPosition(value["start"]) && isPosition(value["end"]);
}

const isString = (value: unknown): value is string => typeof value === "string";
const isStringOrNull = (value: unknown): value is string | null => value === null || isString(value);
const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every(isString);

function isApp(value: unknown): value is AppInfo {
  return (
    isRecord(value) &&
    isString(value["id"]) &&
    isString(value["label"]) &&
    isString(value["uri"]) &&
    isRange(value["range"])
  );
}

function isRoute(value: unknown): value is RouteInfo {
  return (
    isRecord(value) &&
    ["id", "label", "path", "endpoint", "uri"].every((key) => isString(value[key])) &&
    isStringArray(value["methods"]) &&
    isRange(value["range"]) &&
    isRange(value["selectionRange"]) &&
    isStringOrNull(value["app"]) &&
    isStringArray(value["chain"]) &&
    typeof value["conditional"] === "boolean" &&
    ["condition", "responseModel", "statusCode"].every((key) => isStringOrNull(value[key])) &&
    isStringArray(value["tags"]) &&
    typeof value["tests"] === "number"
  );
}

/**
 * The server's answer, or undefined when it is not one. An entry of the wrong shape is left
 * out rather than losing the whole table to it.
 */
export function parseRouteTable(value: unknown): RouteTable | undefined {
  if (!isRecord(value) || typeof value["ready"] !== "boolean") {
    return undefined;
  }
  const apps = value["apps"];
  const routes = value["routes"];
  if (!Array.isArray(apps) || !Array.isArray(routes)) {
    return undefined;
  }
  return { ready: value["ready"], apps: apps.filter(isApp), routes: routes.filter(isRoute) };
}

// --- the tree --------------------------------------------------------------------------------

export interface AppNode {
  readonly kind: "app";
  readonly id: string;
  readonly label: string;
  readonly description: string;
  /** Absent for the group of routers that no app includes. */
  readonly app?: AppInfo;
  readonly children: readonly TreeNode[];
}

export interface RouterNode {
  readonly kind: "router";
  readonly id: string;
  /** The router as its include call names it: `api_router`, `items.router`. */
  readonly label: string;
  /** The path its routes have in common, as the app serves them. */
  readonly description: string;
  readonly children: readonly TreeNode[];
}

export interface RouteNode {
  readonly kind: "route";
  readonly id: string;
  readonly route: RouteInfo;
}

export type TreeNode = AppNode | RouterNode | RouteNode;

/** The id of the group holding routers that no app includes. */
export const NO_APP = "fastapiLs.routes.noApp";

interface Branch {
  readonly id: string;
  readonly label: string;
  /** The routes under it that pass the filter. */
  readonly routes: RouteInfo[];
  /** The paths of all routes under it, filtered or not: what it is described by. */
  readonly paths: string[];
  readonly children: (Branch | RouteInfo)[];
  readonly branches: Map<string, Branch>;
}

function branch(id: string, label: string): Branch {
  return { id, label, routes: [], paths: [], children: [], branches: new Map() };
}

/**
 * Apps → routers → routes: each route sits under the routers of its include chain, in the
 * order the server lists them (the order FastAPI matches them in). Apps without a matching
 * route are kept when there is no filter, so that an app with no routes yet still shows. A
 * router is described by the path all its routes share, filtered or not.
 */
export function buildTree(
  table: RouteTable,
  filter: string,
  relativePath: (uri: string) => string,
): AppNode[] {
  const roots = new Map<string, Branch>();
  for (const app of table.apps) {
    roots.set(app.id, branch(app.id, app.label));
  }
  // The tree needs unique ids; the server's are, but a broken answer must not break the view.
  const seen = new Set<string>();
  for (const route of table.routes) {
    if (seen.has(route.id)) {
      continue;
    }
    seen.add(route.id);
    const matches = matchesFilter(route, filter);
    const rootId = route.app !== null && roots.has(route.app) ? route.app : NO_APP;
    let node: Branch | undefined = roots.get(rootId);
    if (node === undefined) {
      node = branch(rootId, "Not included by any app");
      roots.set(rootId, node);
    }
    const passing = (branch: Branch): void => {
      branch.paths.push(route.path);
      if (matches) {
        branch.routes.push(route);
      }
    };
    passing(node);
    // The chain starts with the app when the route has one.
    const routers = route.app !== null ? route.chain.slice(1) : route.chain;
    for (const name of routers) {
      let child: Branch | undefined = node.branches.get(name);
      if (child === undefined) {
        child = branch(`${node.id}/${name}`, name);
        node.branches.set(name, child);
        node.children.push(child);
      }
      passing(child);
      node = child;
    }
    if (matches) {
      node.children.push(route);
    }
  }
  const apps = new Map(table.apps.map((app) => [app.id, app]));
  const nodes: AppNode[] = [];
  for (const root of roots.values()) {
    if (filter.trim() && root.routes.length === 0) {
      continue;
    }
    const app = apps.get(root.id);
    const where = app === undefined ? "" : `${relativePath(app.uri)} · `;
    nodes.push({
      kind: "app",
      id: root.id,
      label: root.label,
      description: `${where}${countRoutes(root.routes.length)}`,
      ...(app === undefined ? {} : { app }),
      children: toNodes(root.children),
    });
  }
  // The group of routers no app includes comes last.
  return nodes.sort((a, b) => Number(a.id === NO_APP) - Number(b.id === NO_APP));
}

/** Routers without a route that passes the filter are left out. */
function toNodes(items: readonly (Branch | RouteInfo)[]): TreeNode[] {
  return items.flatMap((item): TreeNode[] => {
    if (!("children" in item)) {
      return [{ kind: "route", id: item.id, route: item }];
    }
    if (item.routes.length === 0) {
      return [];
    }
    const router: RouterNode = {
      kind: "router",
      id: item.id,
      label: item.label,
      description: commonPath(item.paths),
      children: toNodes(item.children),
    };
    return [router];
  });
}

export function countRoutes(count: number): string {
  return count === 1 ? "1 route" : `${count} routes`;
}

/**
 * The leading path segments the paths share: `/api/v1` for `/api/v1/items` and
 * `/api/v1/users`. Of a single path, all but its last segment (that one is the route's own).
 */
export function commonPath(paths: readonly string[]): string {
  const [first, ...rest] = [...new Set(paths)].map((path) => path.split("/"));
  if (first === undefined) {
    return "";
  }
  let length = rest.length === 0 ? first.length - 1 : first.length;
  for (const segments of rest) {
    let index = 0;
    while (index < length && index < segments.length && segments[index] === first[index]) {
      index++;
    }
    length = index;
  }
  return first.slice(0, length).join("/").replace(/\/$/, "");
}

/** Every word of the filter appears in the route's label, endpoint, tags or condition. */
export function matchesFilter(route: RouteInfo, filter: string): boolean {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) {
    return true;
  }
  const text = [routeLabel(route), route.endpoint, ...route.tags, route.condition ?? ""]
    .join(" ")
    .toLowerCase();
  return words.every((word) => text.includes(word));
}

export function countMatching(table: RouteTable, filter: string): number {
  return table.routes.filter((route) => matchesFilter(route, filter)).length;
}

// --- how a route reads -----------------------------------------------------------------------

/** `GET /api/items/{item_id}`; `GET|HEAD /x` for several methods. */
export function routeLabel(route: RouteInfo): string {
  return `${route.methods.join("|")} ${route.path}`;
}

const METHOD_COLORS: Readonly<Record<string, string>> = {
  GET: "charts.blue",
  POST: "charts.green",
  PUT: "charts.orange",
  PATCH: "charts.yellow",
  DELETE: "charts.red",
  WS: "charts.purple",
  WEBSOCKET: "charts.purple",
};

/** The theme color of the route's method badge. */
export function methodColor(route: RouteInfo): string {
  return METHOD_COLORS[route.methods[0]?.toUpperCase() ?? ""] ?? "descriptionForeground";
}

export function isWebSocket(route: RouteInfo): boolean {
  return route.methods.some((method) => ["WS", "WEBSOCKET"].includes(method.toUpperCase()));
}

/** Long conditions are cut in the tree; the tooltip has them whole. */
const CONDITION_SHOWN = 40;

/** Beside the route in the tree: its endpoint, and the condition it is served under. */
export function routeDescription(route: RouteInfo): string {
  if (!route.conditional) {
    return route.endpoint;
  }
  const condition = route.condition ?? "a condition";
  const shown =
    condition.length > CONDITION_SHOWN ? `${condition.slice(0, CONDITION_SHOWN - 1)}…` : condition;
  return `${route.endpoint} · only if ${shown}`;
}

/** The tooltip, as Markdown lines. */
export function routeTooltip(route: RouteInfo, relativePath: (uri: string) => string): string {
  const code = (text: string): string => `\`${text.replaceAll("`", "'")}\``;
  const lines = [`**${code(routeLabel(route))}** → ${code(route.endpoint)}`, ""];
  const facts: [string, string | undefined][] = [
    ["Defined in", `${relativePath(route.uri)}:${route.range.start.line + 1}`],
    ["Included through", route.chain.length > 0 ? route.chain.join(" → ") : undefined],
    ["Served only if", route.conditional ? code(route.condition ?? "a condition") : undefined],
    ["Tags", route.tags.length > 0 ? route.tags.join(", ") : undefined],
    ["Response model", route.responseModel === null ? undefined : code(route.responseModel)],
    ["Status code", route.statusCode ?? undefined],
    ["Tests calling it", route.tests > 0 ? String(route.tests) : undefined],
  ];
  for (const [name, value] of facts) {
    if (value !== undefined) {
      lines.push(`- ${name}: ${value}`);
    }
  }
  return lines.join("\n");
}

// --- search ----------------------------------------------------------------------------------

const SEPARATORS = new Set(["/", "{", "}", "_", "-", ".", " ", "|", ":"]);

/**
 * How well `query` matches `text` as a fuzzy subsequence (higher is better), undefined when
 * it does not. Each whitespace-separated word must match on its own, starting where a path
 * segment or word starts (or anywhere, when the word appears whole); letters that follow one
 * another, or start a segment or word, count more.
 */
export function fuzzyScore(query: string, text: string): number | undefined {
  const lower = text.toLowerCase();
  let total = 0;
  for (const word of query.toLowerCase().split(/\s+/).filter(Boolean)) {
    const score = wordScore(word, lower);
    if (score === undefined) {
      return undefined;
    }
    total += score;
  }
  return total;
}

function wordScore(word: string, text: string): number | undefined {
  // Best of the greedy matches starting at each place the first letter appears: enough for
  // short labels, and cheaper than a full alignment.
  let best: number | undefined;
  const first = word[0] ?? "";
  for (let start = text.indexOf(first); start !== -1; start = text.indexOf(first, start + 1)) {
    const boundary = start === 0 || SEPARATORS.has(text[start - 1] ?? "");
    if (!boundary && !text.startsWith(word, start)) {
      continue;
    }
    let score = 0;
    let position = start;
    let previous = -2;
    for (const letter of word) {
      position = text.indexOf(letter, position);
      if (position === -1) {
        break;
      }
      const boundary = position === 0 || SEPARATORS.has(text[position - 1] ?? "");
      score += 1 + (position === previous + 1 ? 3 : 0) + (boundary ? 2 : 0);
      previous = position;
      position++;
    }
    if (position !== -1 && (best === undefined || score > best)) {
      best = score;
    }
  }
  return best;
}

/** What route search matches a route on: its method and path first, then its endpoint. */
export function searchText(route: RouteInfo): string {
  return `${routeLabel(route)} ${route.endpoint}`;
}

/** The routes matching `query`, best first (ties in the server's order); all when it is empty. */
export function searchRoutes(routes: readonly RouteInfo[], query: string): RouteInfo[] {
  if (!query.trim()) {
    return [...routes];
  }
  return routes
    .map((route, index) => ({ route, index, score: fuzzyScore(query, searchText(route)) }))
    .filter((entry): entry is { route: RouteInfo; index: number; score: number } => entry.score !== undefined)
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .map((entry) => entry.route);
}

/** A row of route search. */
export interface SearchRow {
  readonly label: string;
  readonly description: string;
  readonly route: RouteInfo;
}

/** Rows shown in route search at most: enough to scroll through, cheap to redraw per key. */
export const MAX_SEARCH_ROWS = 500;

/** Route search's rows for what is typed: `METHOD /path`, then the endpoint and where it is. */
export function searchRows(
  routes: readonly RouteInfo[],
  query: string,
  relativePath: (uri: string) => string,
): SearchRow[] {
  return searchRoutes(routes, query)
    .slice(0, MAX_SEARCH_ROWS)
    .map((route) => ({
      label: routeLabel(route),
      description: `${route.endpoint} · ${relativePath(route.uri)}:${route.selectionRange.start.line + 1}`,
      route,
    }));
}

// --- context menu ----------------------------------------------------------------------------

/**
 * The base URL without its trailing slash, or undefined when it is not an http(s) URL (a
 * workspace could set anything, and the value ends up in a shell command and a browser).
 */
export function normalBaseUrl(value: string): string | undefined {
  const trimmed = value.trim();
  if (!trimmed) {
    return undefined;
  }
  try {
    const url = new URL(trimmed);
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      return undefined;
    }
  } catch {
    return undefined;
  }
  return trimmed.replace(/\/+$/, "");
}

/** Single-quoted for POSIX shells: nothing inside is expanded. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

const WITH_BODY = new Set(["POST", "PUT", "PATCH"]);

/**
 * A curl command for the route's first method against the base URL (undefined for a
 * WebSocket route). Path parameters stay as `{name}` to be filled in; `--globoff` keeps curl
 * from reading the braces as a URL pattern.
 */
export function curlCommand(route: RouteInfo, baseUrl: string | undefined): string | undefined {
  if (isWebSocket(route)) {
    return undefined;
  }
  const method = (route.methods[0] ?? "GET").toUpperCase();
  const url = shellQuote(`${baseUrl ?? DEFAULT_BASE_URL}${route.path}`);
  const parts = ["curl", "--globoff"];
  if (method === "HEAD") {
    parts.push("--head");
  } else if (method !== "GET") {
    parts.push("-X", method);
  }
  parts.push(url);
  if (WITH_BODY.has(method)) {
    parts.push("-H", shellQuote("Content-Type: application/json"), "-d", shellQuote("{}"));
  }
  return parts.join(" ");
}

/**
 * FastAPI's default operation id (`generate_unique_id`): the endpoint's name and path with
 * every non-word character made `_`, then the method: `read_item_items__item_id__get`.
 */
export function operationId(route: RouteInfo): string {
  // `{name:path}` is `{name}` in the path FastAPI formats.
  const pathFormat = route.path.replace(/\{(\w+):[^}]*\}/g, "{$1}");
  const method = (route.methods[0] ?? "GET").toLowerCase();
  return `${route.endpoint}${pathFormat}`.replace(/[^\p{L}\p{N}_]/gu, "_") + `_${method}`;
}

/**
 * The route in the running app's Swagger UI: `/docs` with a deep link to the operation
 * (its first tag's section, `default` without one). Undefined for a WebSocket route, which
 * the docs do not list. A route that no app includes gets the page without a deep link.
 */
export function docsUrl(route: RouteInfo, baseUrl: string): string | undefined {
  if (isWebSocket(route)) {
    return undefined;
  }
  if (route.app === null) {
    return `${baseUrl}/docs`;
  }
  const tag = encodeURIComponent(route.tags[0] ?? "default");
  return `${baseUrl}/docs#/${tag}/${encodeURIComponent(operationId(route))}`;
}
