/**
 * `window/showDocument` from the server: its Context7 answers are Markdown documents, which
 * read best rendered, beside the code that asked for them. Everything else keeps
 * vscode-languageclient's default handling.
 */

import type { ShowDocumentParams, ShowDocumentRequest } from "vscode-languageclient";

export type ShowDocumentRoute = "markdownPreview" | "default";

export function routeShowDocument(params: Pick<ShowDocumentParams, "uri" | "external">): ShowDocumentRoute {
  if (params.external === true) {
    return "default";
  }
  let url: URL;
  try {
    url = new URL(params.uri);
  } catch {
    return "default";
  }
  const isMarkdownFile = url.protocol === "file:" && url.pathname.toLowerCase().endsWith(".md");
  return isMarkdownFile ? "markdownPreview" : "default";
}

/**
 * The middleware: `openPreview` shows the Markdown preview of the uri beside the editor. When
 * it fails (the Markdown extension disabled, say) the document still opens as text.
 */
export function showDocumentMiddleware(
  openPreview: (uri: string) => Promise<void>,
  log: (line: string) => void,
): ShowDocumentRequest.MiddlewareSignature {
  return async (params, token, next) => {
    if (routeShowDocument(params) === "markdownPreview") {
      try {
        await openPreview(params.uri);
        return { success: true };
      } catch (error) {
        log(`Markdown preview of ${params.uri} failed, opening it as text: ${String(error)}`);
      }
    }
    return next(params, token);
  };
}
