/**
 * Workspace trust: in a workspace the user has not trusted, nothing inside its folders is run.
 *
 * A virtual environment's `python` runs the `.pth` files and `sitecustomize` of its
 * site-packages, so an interpreter inside an untrusted folder is as good as running the
 * repository's code. Pure: the path functions are injected so Windows rules are tested on Linux.
 */

import * as nodePath from "node:path";

export type PathApi = Pick<typeof nodePath, "resolve" | "relative" | "isAbsolute" | "sep">;

export type TrustVerdict = { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

export interface Executable {
  /** The path as configured or found. */
  readonly path: string;
  /** Where it leads after symbolic links, when known: a link may point into the workspace. */
  readonly realPath?: string | undefined;
}

export function mayRun(
  executable: Executable,
  workspaceFolders: readonly string[],
  trusted: boolean,
  pathApi: PathApi = nodePath,
): TrustVerdict {
  if (trusted) {
    return { allowed: true };
  }
  for (const candidate of [executable.path, executable.realPath]) {
    if (candidate === undefined) {
      continue;
    }
    const folder = workspaceFolders.find((root) => isInside(candidate, root, pathApi));
    if (folder !== undefined) {
      return {
        allowed: false,
        reason: `${executable.path} is inside the workspace folder ${folder}, which is not trusted`,
      };
    }
  }
  return { allowed: true };
}

export function isInside(child: string, parent: string, pathApi: PathApi = nodePath): boolean {
  const relative = pathApi.relative(
    fold(pathApi.resolve(parent), pathApi),
    fold(pathApi.resolve(child), pathApi),
  );
  const leavesParent = relative === ".." || relative.startsWith(`..${pathApi.sep}`);
  return !leavesParent && !pathApi.isAbsolute(relative);
}

/** Windows paths compare case-insensitively; a differently cased path must not slip through. */
function fold(path: string, pathApi: PathApi): string {
  return pathApi.sep === "\\" ? path.toLowerCase() : path;
}
