/**
 * The Routes view in the Explorer, the route search and the routes' context menu, fed by the
 * server's `fastapiLs/routes` and refreshed when it sends `fastapiLs/routesChanged`.
 * Static data only: nothing here runs the project, so all of it works in an untrusted
 * workspace.
 */

import * as vscode from "vscode";
import {
  buildTree,
  countMatching,
  countRoutes,
  curlCommand,
  docsUrl,
  methodColor,
  normalBaseUrl,
  parseRouteTable,
  routeDescription,
  routeLabel,
  routeTooltip,
  searchRows,
  isWebSocket,
  ROUTES_REQUEST,
  type Range,
  type RouteInfo,
  type RouteNode,
  type RouteTable,
  type TreeNode,
} from "./routes";
import { SECTION } from "./settings";

/** Anything to dispose of (an EventEmitter is one without being a `vscode.Disposable`). */
interface Disposable {
  dispose(): unknown;
}

export const VIEW_ID = "fastapiLs.routes";

export const ROUTE_COMMANDS = {
  search: "fastapiLs.routes.search",
  refresh: "fastapiLs.routes.refresh",
  filter: "fastapiLs.routes.filter",
  clearFilter: "fastapiLs.routes.clearFilter",
  open: "fastapiLs.routes.open",
  copyPath: "fastapiLs.routes.copyPath",
  copyCurl: "fastapiLs.routes.copyCurl",
  openDocs: "fastapiLs.routes.openDocs",
} as const;

const FILTERED_CONTEXT = "fastapiLs.routes.filtered";
const BASE_URL_SETTING = "routes.baseUrl";

/** What the view needs of the server manager. */
export interface RouteSource {
  /** The answer, or undefined when the server is not running; throws when the request fails. */
  request(method: string, params: object): Promise<unknown>;
  readonly onDidChangeRunning: vscode.Event<boolean>;
  readonly onRoutesChanged: vscode.Event<void>;
}

type StoreState =
  | { readonly kind: "stopped" }
  | { readonly kind: "loading" }
  | { readonly kind: "failed"; readonly message: string }
  | { readonly kind: "loaded"; readonly table: RouteTable };

/** The last route table the server answered with, asked again whenever it says it changed. */
class RouteStore implements Disposable {
  private current: StoreState = { kind: "stopped" };
  private inFlight: Promise<void> | undefined;
  private again = false;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly subscriptions: Disposable[];

  constructor(
    private readonly source: RouteSource,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.subscriptions = [
      this.changed,
      source.onDidChangeRunning((running) => {
        if (running) {
          void this.refresh();
        } else {
          this.set({ kind: "stopped" });
        }
      }),
      source.onRoutesChanged(() => void this.refresh()),
    ];
  }

  get state(): StoreState {
    return this.current;
  }

  /** Ask the server; a change announced while a request runs asks once more after it. */
  refresh(): Promise<void> {
    if (this.inFlight !== undefined) {
      this.again = true;
      return this.inFlight;
    }
    if (this.current.kind !== "loaded") {
      this.set({ kind: "loading" });
    }
    this.inFlight = this.load().finally(() => {
      this.inFlight = undefined;
      if (this.again) {
        this.again = false;
        void this.refresh();
      }
    });
    return this.inFlight;
  }

  dispose(): void {
    for (const subscription of this.subscriptions) {
      subscription.dispose();
    }
  }

  private async load(): Promise<void> {
    try {
      const answer = await this.source.request(ROUTES_REQUEST, {});
      if (answer === undefined) {
        this.set({ kind: "stopped" });
        return;
      }
      const table = parseRouteTable(answer);
      if (table === undefined) {
        this.log.warn(`${ROUTES_REQUEST}: the server's answer is not a route table`);
        this.set({ kind: "failed", message: "The server's answer was not a route table." });
        return;
      }
      this.set({ kind: "loaded", table });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.log.warn(`${ROUTES_REQUEST} failed: ${message}`);
      this.set({ kind: "failed", message });
    }
  }

  private set(state: StoreState): void {
    this.current = state;
    this.changed.fire();
  }
}

function toRange(range: Range): vscode.Range {
  return new vscode.Range(range.start.line, range.start.character, range.end.line, range.end.character);
}

function relativePath(uri: string): string {
  return vscode.workspace.asRelativePath(vscode.Uri.parse(uri), false);
}

class RoutesTree implements vscode.TreeDataProvider<TreeNode> {
  private readonly changed = new vscode.EventEmitter<undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  filter = "";

  constructor(private readonly store: RouteStore) {}

  refresh(): void {
    this.changed.fire(undefined);
  }

  getChildren(node?: TreeNode): TreeNode[] {
    if (node !== undefined) {
      return node.kind === "route" ? [] : [...node.children];
    }
    const state = this.store.state;
    return state.kind === "loaded" ? buildTree(state.table, this.filter, relativePath) : [];
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    if (node.kind === "route") {
      return routeItem(node.id, node.route);
    }
    const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.Expanded);
    item.id = node.id;
    item.description = node.description;
    if (node.kind === "app") {
      item.iconPath = new vscode.ThemeIcon("server-process");
      item.contextValue = "app";
      if (node.app !== undefined) {
        item.tooltip = `${node.app.label} in ${relativePath(node.app.uri)}`;
        item.command = {
          title: "Go to the App",
          command: ROUTE_COMMANDS.open,
          arguments: [node.app.uri, node.app.range],
        };
      } else {
        item.tooltip =
          "Routers with routes that no app of the workspace includes: their paths are the routers' own.";
      }
    } else {
      item.iconPath = new vscode.ThemeIcon("type-hierarchy-sub");
      item.contextValue = "router";
    }
    return item;
  }

  dispose(): void {
    this.changed.dispose();
  }
}

function routeItem(id: string, route: RouteInfo): vscode.TreeItem {
  const methods = route.methods.join("|");
  const item = new vscode.TreeItem(
    { label: routeLabel(route), highlights: [[0, methods.length]] },
    vscode.TreeItemCollapsibleState.None,
  );
  item.id = id;
  item.description = routeDescription(route);
  const tooltip = new vscode.MarkdownString(routeTooltip(route, relativePath));
  tooltip.supportThemeIcons = false;
  item.tooltip = tooltip;
  // The method's color is its badge; a hollow one marks a route served only under a condition.
  item.iconPath = new vscode.ThemeIcon(
    route.conditional ? "circle-large-outline" : "circle-filled",
    new vscode.ThemeColor(methodColor(route)),
  );
  item.contextValue = isWebSocket(route) ? "route.websocket" : "route.http";
  item.command = {
    title: "Go to the Endpoint",
    command: ROUTE_COMMANDS.open,
    arguments: [route.uri, route.selectionRange],
  };
  return item;
}

async function openAt(uri: string, range: Range): Promise<void> {
  const selection = toRange(range);
  await vscode.window.showTextDocument(vscode.Uri.parse(uri), { selection, preserveFocus: false });
}

function baseUrlSetting(): string {
  return vscode.workspace.getConfiguration(SECTION).get<string>(BASE_URL_SETTING, "");
}

/** The route a context-menu command was run on (the tree passes its node). */
function routeOf(node: unknown): RouteInfo | undefined {
  return typeof node === "object" && node !== null && (node as Partial<TreeNode>).kind === "route"
    ? (node as RouteNode).route
    : undefined;
}

export function registerRoutesView(source: RouteSource, log: vscode.LogOutputChannel): Disposable[] {
  const store = new RouteStore(source, log);
  const tree = new RoutesTree(store);
  const view = vscode.window.createTreeView(VIEW_ID, { treeDataProvider: tree, showCollapseAll: true });

  const describeView = (): void => {
    const state = store.state;
    view.description = state.kind === "loaded" ? countRoutes(state.table.routes.length) : "";
    view.message = viewMessage(state, tree.filter) ?? "";
  };
  const setFilter = (filter: string): void => {
    tree.filter = filter.trim();
    void vscode.commands.executeCommand("setContext", FILTERED_CONTEXT, tree.filter !== "");
    describeView();
    tree.refresh();
  };

  const withRoute =
    (action: (route: RouteInfo) => Promise<void>) =>
    async (node: unknown): Promise<void> => {
      const route = routeOf(node);
      if (route !== undefined) {
        await action(route);
      }
    };

  return [
    store,
    tree,
    view,
    store.onDidChange(() => {
      describeView();
      tree.refresh();
    }),
    vscode.commands.registerCommand(ROUTE_COMMANDS.refresh, () => store.refresh()),
    vscode.commands.registerCommand(ROUTE_COMMANDS.open, (uri: string, range: Range) => openAt(uri, range)),
    vscode.commands.registerCommand(ROUTE_COMMANDS.filter, () => askFilter(tree.filter, setFilter)),
    vscode.commands.registerCommand(ROUTE_COMMANDS.clearFilter, () => setFilter("")),
    vscode.commands.registerCommand(ROUTE_COMMANDS.search, () => searchRoutesPick(store)),
    vscode.commands.registerCommand(
      ROUTE_COMMANDS.copyPath,
      withRoute((route) => copy(route.path, `Copied ${route.path}`)),
    ),
    vscode.commands.registerCommand(
      ROUTE_COMMANDS.copyCurl,
      withRoute(async (route) => {
        const command = curlCommand(route, normalBaseUrl(baseUrlSetting()));
        if (command !== undefined) {
          await copy(command, `Copied a curl command for ${routeLabel(route)}`);
        }
      }),
    ),
    vscode.commands.registerCommand(
      ROUTE_COMMANDS.openDocs,
      withRoute(async (route) => {
        const setting = baseUrlSetting();
        const base = normalBaseUrl(setting);
        if (base === undefined) {
          const choice = await vscode.window.showWarningMessage(
            setting.trim()
              ? `fastapiLs.routes.baseUrl (${setting}) is not an http:// or https:// address.`
              : "Set fastapiLs.routes.baseUrl to where your app runs to open its /docs.",
            "Open Settings",
          );
          if (choice !== undefined) {
            await vscode.commands.executeCommand(
              "workbench.action.openSettings",
              `${SECTION}.${BASE_URL_SETTING}`,
            );
          }
          return;
        }
        const url = docsUrl(route, base);
        if (url !== undefined) {
          await vscode.env.openExternal(vscode.Uri.parse(url, true));
        }
      }),
    ),
  ];
}

function viewMessage(state: StoreState, filter: string): string | undefined {
  switch (state.kind) {
    case "stopped":
      return "The FastAPI language server is not running.";
    case "loading":
      return "Reading the workspace's routes…";
    case "failed":
      return `The routes could not be read: ${state.message}`;
    case "loaded": {
      const { table } = state;
      if (!table.ready && table.routes.length === 0) {
        return "Reading the workspace's routes…";
      }
      if (table.routes.length === 0) {
        return table.apps.length === 0
          ? "No FastAPI app or router found in this workspace."
          : "The workspace's apps have no routes yet.";
      }
      if (filter) {
        const shown = countMatching(table, filter);
        return `Filtered by "${filter}": ${shown} of ${countRoutes(table.routes.length)}.`;
      }
      return undefined;
    }
  }
}

async function copy(text: string, message: string): Promise<void> {
  await vscode.env.clipboard.writeText(text);
  vscode.window.setStatusBarMessage(`$(check) ${message}`, 3000);
}

/** The filter box: the tree follows as you type; Escape puts the previous filter back. */
async function askFilter(previous: string, setFilter: (filter: string) => void): Promise<void> {
  const box = vscode.window.createInputBox();
  box.title = "Filter Routes";
  box.prompt = "Words that the method, path, endpoint, tags or condition must all contain.";
  box.placeholder = "e.g. post items";
  box.value = previous;
  const accepted = await new Promise<boolean>((resolve) => {
    box.onDidChangeValue(setFilter);
    box.onDidAccept(() => {
      resolve(true);
      box.hide();
    });
    box.onDidHide(() => {
      resolve(false);
    });
    box.show();
  });
  box.dispose();
  if (!accepted) {
    setFilter(previous);
  }
}

interface RoutePickItem extends vscode.QuickPickItem {
  readonly route: RouteInfo;
}

/**
 * Route search: a quick pick over `METHOD /path`, matched fuzzily by our own scorer (the
 * quick pick's matching wants contiguous text), kept current while the table changes.
 */
async function searchRoutesPick(store: RouteStore): Promise<void> {
  const pick = vscode.window.createQuickPick<RoutePickItem>();
  pick.title = "Search Routes";
  pick.placeholder = "Method, path or endpoint, e.g. get items id";
  pick.matchOnDescription = false;
  const update = (): void => {
    const state = store.state;
    pick.busy = state.kind === "loading" || (state.kind === "loaded" && !state.table.ready);
    const routes = state.kind === "loaded" ? state.table.routes : [];
    // Shown whatever the quick pick's own matching thinks: the rows are already our matches.
    pick.items = searchRows(routes, pick.value, relativePath).map((row) => ({ ...row, alwaysShow: true }));
    if (state.kind === "stopped" || state.kind === "failed") {
      pick.placeholder = viewMessage(state, "");
    }
  };
  const subscriptions = [store.onDidChange(update), pick.onDidChangeValue(update)];
  update();
  if (store.state.kind === "stopped") {
    void store.refresh();
  }
  const chosen = await new Promise<RouteInfo | undefined>((resolve) => {
    subscriptions.push(
      pick.onDidAccept(() => {
        resolve(pick.selectedItems[0]?.route);
        pick.hide();
      }),
      pick.onDidHide(() => {
        resolve(undefined);
      }),
    );
    pick.show();
  });
  for (const subscription of subscriptions) {
    subscription.dispose();
  }
  pick.dispose();
  if (chosen !== undefined) {
    await openAt(chosen.uri, chosen.selectionRange);
  }
}
