#!/usr/bin/env node
// A native-solc stand-in around solc-js (WebAssembly), for py-solc-x / ape-solidity,
// which look for `$SOLCX_BINARY_PATH/solc-v<version>` and speak `--version` and
// `--standard-json` (stdin -> stdout) to it. No network is needed.
const path = require("path");
const fs = require("fs");
const solc = require(path.join(__dirname, "..", "..", "node_modules", "solc"));

const args = process.argv.slice(2);
if (args.includes("--version")) {
  const v = solc.version().replace(".Emscripten.clang", "");
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${v}.Linux.g++\n`);
  process.exit(0);
}
if (!args.includes("--standard-json")) {
  process.stderr.write("solc.js: only --version and --standard-json are supported\n");
  process.exit(2);
}
let basePath = process.cwd();
const bi = args.indexOf("--base-path");
if (bi >= 0) basePath = args[bi + 1];
const allow = [];
const ai = args.indexOf("--allow-paths");
if (ai >= 0) allow.push(...args[ai + 1].split(","));
const input = fs.readFileSync(0, "utf8");
function findImports(p) {
  for (const root of [basePath, ...allow, process.cwd()]) {
    const full = path.isAbsolute(p) ? p : path.join(root, p);
    if (fs.existsSync(full)) return { contents: fs.readFileSync(full, "utf8") };
  }
  return { error: `File not found: ${p}` };
}
process.stdout.write(solc.compile(input, { import: findImports }));
