// Check a packaged .vsix the way `vsce publish --packagePath` and `ovsx publish` do before they
// upload it, without a network or a token (neither tool has a dry run):
//   node scripts/check-vsix.mjs fastapi-ls-0.1.0.vsix 0.1.0
// vsce's own reader validates the manifest inside the package (engines, name, version,
// publisher, activation); on top of it come the Marketplace's publish-time rules, Open VSX's
// licence rule, and what this project needs: the expected version in both manifests, and the
// README, CHANGELOG and licence inside. Exits 1 with the reasons when one fails.
import { createRequire } from "node:module";
import process from "node:process";

const require = createRequire(import.meta.url);
// Internal modules of @vscode/vsce (its API has no "read a package" call); the version is pinned
// by package-lock.json, and a renamed module fails here loudly rather than passing.
const { readVSIXPackage, readZip } = require("@vscode/vsce/out/zip");
const { validatePublisher } = require("@vscode/vsce/out/validation");

const [packagePath, expectedVersion] = process.argv.slice(2);
if (!packagePath || !expectedVersion) {
  console.error("usage: node scripts/check-vsix.mjs PACKAGE.vsix VERSION");
  process.exit(2);
}

const problems = [];
let vsix;
try {
  vsix = await readVSIXPackage(packagePath);
} catch (error) {
  console.error(`check-vsix: ${packagePath}: ${error.message ?? error}`);
  process.exit(1);
}
const { manifest, xmlManifest } = vsix;

const identity = xmlManifest?.PackageManifest?.Metadata?.[0]?.Identity?.[0]?.$;
if (!identity) {
  problems.push("extension.vsixmanifest has no Identity");
} else {
  for (const [field, value] of [
    ["Id", manifest.name],
    ["Version", expectedVersion],
    ["Publisher", manifest.publisher],
  ]) {
    if (identity[field] !== value) {
      problems.push(`extension.vsixmanifest Identity ${field} is ${identity[field]}, expected ${value}`);
    }
  }
  if (identity.TargetPlatform) {
    problems.push(`the universal package names a target platform: ${identity.TargetPlatform}`);
  }
}
if (manifest.version !== expectedVersion) {
  problems.push(`extension/package.json version is ${manifest.version}, expected ${expectedVersion}`);
}
if (/-/.test(manifest.version)) {
  problems.push(`the Marketplace takes no prerelease versions: ${manifest.version}`);
}
if (!manifest.publisher) {
  problems.push("package.json has no publisher");
} else {
  try {
    validatePublisher(manifest.publisher);
  } catch (error) {
    problems.push(error.message);
  }
}
if (manifest.enableProposedApi || (manifest.enabledApiProposals ?? []).length > 0) {
  problems.push("proposed APIs cannot be published to the Marketplace");
}
if (!manifest.license) {
  problems.push("package.json has no license (Open VSX refuses unlicensed extensions)");
}

const files = await readZip(packagePath, () => true);
const names = [...files.keys()].map((name) => name.toLowerCase());
for (const wanted of ["extension/readme.md", "extension/changelog.md", "extension/license.txt"]) {
  if (!names.includes(wanted)) {
    problems.push(`${wanted} is missing from the package`);
  }
}
const changelog = files.get([...files.keys()].find((name) => name.toLowerCase() === "extension/changelog.md"));
if (changelog && !changelog.toString("utf8").includes(`## [${expectedVersion}]`)) {
  problems.push(`the packaged CHANGELOG has no entry for ${expectedVersion}`);
}

if (problems.length > 0) {
  for (const problem of problems) {
    console.error(`check-vsix: ${problem}`);
  }
  process.exit(1);
}
console.log(`check-vsix: ${manifest.publisher}.${manifest.name} ${manifest.version} is ready to publish`);
