// Bundles the extension (and, with --tests, the unit tests) with esbuild.
//   node client/build.mjs               dist/extension.js with a source map, for development
//   node client/build.mjs --production  minified, no source map: what the .vsix ships
//   node client/build.mjs --tests       dist/test/*.test.js for `node --test`
// vscode-languageclient is bundled in, so the package needs no node_modules; `vscode` is
// provided by the editor at run time.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const flags = new Set(process.argv.slice(2));
const common = {
  bundle: true,
  platform: "node",
  format: "cjs",
  // VS Code 1.91 runs extensions on Node 20.
  target: "node20",
  external: ["vscode"],
  logLevel: "warning",
  absWorkingDir: root,
};

if (flags.has("--tests")) {
  const testDir = join(root, "client", "test");
  const entryPoints = readdirSync(testDir)
    .filter((name) => name.endsWith(".test.ts"))
    .map((name) => join(testDir, name));
  await esbuild.build({ ...common, entryPoints, outdir: join(root, "dist", "test"), sourcemap: "inline" });
} else {
  const production = flags.has("--production");
  await esbuild.build({
    ...common,
    entryPoints: [join(root, "client", "src", "extension.ts")],
    outfile: join(root, "dist", "extension.js"),
    minify: production,
    sourcemap: production ? false : "linked",
  });
}
