import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CancellationToken, ShowDocumentParams, ShowDocumentResult } from "vscode-languageclient";
import { routeShowDocument, showDocumentMiddleware } from "../src/showDocument";

const documentUri = "file:///home/dev/.cache/fastapi-ls/context7/documents/websocket-manager-3f2a.md";

describe("routeShowDocument", () => {
  it("sends Markdown files to the preview", () => {
    assert.equal(routeShowDocument({ uri: documentUri }), "markdownPreview");
    assert.equal(routeShowDocument({ uri: "file:///tmp/NOTES.MD", external: false }), "markdownPreview");
    assert.equal(routeShowDocument({ uri: "file:///C:/Users/dev/doc%20one.md" }), "markdownPreview");
  });

  it("leaves everything else to the default handling", () => {
    for (const uri of [
      "file:///work/shop/app/main.py",
      "file:///work/shop/README.md.bak",
      "https://fastapi.tiangolo.com/tutorial/index.md",
      "untitled:notes.md",
      "not a uri",
    ]) {
      assert.equal(routeShowDocument({ uri }), "default", uri);
    }
    assert.equal(routeShowDocument({ uri: documentUri, external: true }), "default");
  });
});

describe("showDocumentMiddleware", () => {
  const token = {} as CancellationToken;

  function run(params: ShowDocumentParams, preview: (uri: string) => Promise<void>) {
    const calls: string[] = [];
    const logged: string[] = [];
    const middleware = showDocumentMiddleware(
      async (uri) => {
        calls.push(`preview ${uri}`);
        await preview(uri);
      },
      (line) => logged.push(line),
    );
    const next = (nextParams: ShowDocumentParams): Promise<ShowDocumentResult> => {
      calls.push(`default ${nextParams.uri}`);
      return Promise.resolve({ success: true });
    };
    return { result: Promise.resolve(middleware(params, token, next)), calls, logged };
  }

  it("opens a Markdown document in the preview and answers success", async () => {
    const { result, calls } = run({ uri: documentUri, takeFocus: true }, () => Promise.resolve());
    assert.deepEqual(await result, { success: true });
    assert.deepEqual(calls, [`preview ${documentUri}`]);
  });

  it("hands other documents to the default handler", async () => {
    const { result, calls } = run({ uri: "file:///work/shop/app/main.py" }, () => Promise.resolve());
    assert.deepEqual(await result, { success: true });
    assert.deepEqual(calls, ["default file:///work/shop/app/main.py"]);
  });

  it("falls back to opening the text when the preview fails", async () => {
    const { result, calls, logged } = run({ uri: documentUri }, () =>
      Promise.reject(new Error("command 'markdown.showPreviewToSide' not found")),
    );
    assert.deepEqual(await result, { success: true });
    assert.deepEqual(calls, [`preview ${documentUri}`, `default ${documentUri}`]);
    assert.match(logged[0] ?? "", /not found/);
  });
});
