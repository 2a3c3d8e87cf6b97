/** Decisions behind the messages that offer to choose an interpreter. Pure. */

/** The text imports FastAPI: a file of a FastAPI project, where missing FastAPI matters. */
export function importsFastApi(text: string): boolean {
  return /^[ \t]*(from[ \t]+fastapi(\.[\w.]+)?[ \t]+import\b|import[ \t]+fastapi\b)/m.test(text);
}

/**
 * Where a picked interpreter is written: the workspace's settings when it has a folder and is
 * trusted (an interpreter belongs to a project); otherwise user settings, the only ones an
 * untrusted workspace reads `fastapiLs.interpreter` from.
 */
export function interpreterTarget(trusted: boolean, hasFolder: boolean): "workspace" | "user" {
  return trusted && hasFolder ? "workspace" : "user";
}

/** The settings editor's query that shows exactly one setting. */
export function settingQuery(setting: string): string {
  return `@id:${setting}`;
}
