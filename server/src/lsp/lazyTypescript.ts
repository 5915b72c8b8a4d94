/**
 * The TypeScript compiler for the language server's bundle, loaded on first use: the server
 * answers `initialize` without it (it is ~10 MB of code), and the first parse of a file loads
 * `dist/typescript.js` (a bundle of its own, next to the server's). esbuild.mjs resolves
 * `import ts from "typescript"` in the server's bundle to this module; everywhere else (the
 * CLI, tests) the package itself is imported.
 */
import * as path from "node:path";

let loaded: object | undefined;
const load = (): object => (loaded ??= require(path.join(__dirname, "typescript.js")) as object);

// `__esModule` stays undefined so the bundle's interop wraps this object as the default import,
// and reading any other property (ts.createSourceFile, ts.SyntaxKind, ...) loads the compiler.
module.exports = new Proxy(
  {},
  {
    get: (_target, key) => (key === "__esModule" ? undefined : Reflect.get(load(), key)),
    has: (_target, key) => Reflect.has(load(), key),
  },
);
