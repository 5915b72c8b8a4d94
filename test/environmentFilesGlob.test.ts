/**
 * The server picks environment files by `rlPlayground.files` as the client's document selector
 * does, with VS Code's glob: each row's expected answer is what VS Code's glob (`glob.match`)
 * gives for that pattern and path, worked out from its rules (a `**` segment spans folders, a
 * `**` inside a name is a `*`, `*` and `?` stay within a name, dot names match, case counts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { matchesFiles, matchesGlob } from "../server/src/lsp/fileGlob";

const VS_CODE_GLOB: Array<[pattern: string, relativePath: string, vsCodeMatches: boolean]> = [
  // The default.
  ["**/*.rl.ts", "cart.rl.ts", true],
  ["**/*.rl.ts", "envs/deep/cart.rl.ts", true],
  ["**/*.rl.ts", "cart.ts", false],
  ["**/*.rl.ts", "cart.rl.tsx", false],
  ["**/*.rl.ts", ".hidden/cart.rl.ts", true],
  ["**/*.rl.ts", "envs/.cart.rl.ts", true],
  ["**/*.rl.ts", "Cart.RL.TS", false],
  // `**` inside a name is one name's worth, not folders.
  ["a/**b.rl.ts", "a/xb.rl.ts", true],
  ["a/**b.rl.ts", "a/b.rl.ts", true],
  ["a/**b.rl.ts", "a/x/yb.rl.ts", false],
  ["a/**b.rl.ts", "b.rl.ts", false],
  // `**` as a segment: none or any number of folders.
  ["envs/**/*.rl.ts", "envs/cart.rl.ts", true],
  ["envs/**/*.rl.ts", "envs/a/b/cart.rl.ts", true],
  ["envs/**/*.rl.ts", "cart.rl.ts", false],
  ["envs/**/*.rl.ts", "other/envs/cart.rl.ts", false],
  ["**/envs/*.rl.ts", "envs/cart.rl.ts", true],
  ["**/envs/*.rl.ts", "x/y/envs/cart.rl.ts", true],
  ["**/envs/*.rl.ts", "xenvs/cart.rl.ts", false],
  ["envs/**", "envs/a/b.rl.ts", true],
  ["**", ".a/.b/c.rl.ts", true],
  // `*` stays within a name; a pattern without a folder matches at the top only.
  ["*.rl.ts", "cart.rl.ts", true],
  ["*.rl.ts", "envs/cart.rl.ts", false],
  ["cart.rl.ts", "cart.rl.ts", true],
  ["cart.rl.ts", "envs/cart.rl.ts", false],
  // Braces.
  ["envs/*.{ts,js}", "envs/cart.ts", true],
  ["envs/*.{ts,js}", "envs/cart.js", true],
  ["envs/*.{ts,js}", "envs/sub/cart.ts", false],
  ["envs/*.{ts,js}", "other/envs/cart.ts", false],
  ["{envs,lab}/**/*.rl.ts", "lab/x/cart.rl.ts", true],
  ["{envs,lab}/**/*.rl.ts", "other/cart.rl.ts", false],
  ["**/*.{rl.ts,env.ts}", "a/b.env.ts", true],
  ["**/*.{rl.ts,env.ts}", "a/b.ts", false],
  // `?` and classes.
  ["env?.rl.ts", "env1.rl.ts", true],
  ["env?.rl.ts", "env.rl.ts", false],
  ["env?.rl.ts", "env/.rl.ts", false],
  ["env[0-9].rl.ts", "env3.rl.ts", true],
  ["env[0-9].rl.ts", "enva.rl.ts", false],
  ["env[!0-9].rl.ts", "enva.rl.ts", true],
  ["env[!0-9].rl.ts", "env3.rl.ts", false],
  ["env[^0-9].rl.ts", "enva.rl.ts", true],
  // What VS Code reads literally: a leading `!`, extended-glob parentheses; and it trims.
  ["!cart.rl.ts", "!cart.rl.ts", true],
  ["!cart.rl.ts", "other.rl.ts", false],
  ["+(a|b).rl.ts", "+(a|b).rl.ts", true],
  ["+(a|b).rl.ts", "a.rl.ts", false],
  [" **/*.rl.ts ", "envs/cart.rl.ts", true],
];

test("rlPlayground.files matches what VS Code's glob matches", () => {
  const disagreements = VS_CODE_GLOB.filter(([pattern, file, expected]) => matchesGlob(pattern, file) !== expected);
  assert.deepEqual(disagreements, []);
});

test("globs apply relative to the innermost workspace folder that holds the file", () => {
  assert.ok(matchesFiles("/ws/envs/cart.rl.ts", "envs/*.rl.ts", ["/ws"]));
  assert.ok(!matchesFiles("/ws/envs/cart.rl.ts", "envs/*.rl.ts", ["/ws", "/ws/envs"]), "relative to /ws/envs the path is cart.rl.ts");
  assert.ok(matchesFiles("/ws/envs/cart.rl.ts", "*.rl.ts", ["/ws", "/ws/envs"]));
  assert.ok(!matchesFiles("/ws2/envs/cart.rl.ts", "envs/*.rl.ts", ["/ws"]), "/ws2 is not inside /ws");
  assert.ok(matchesFiles("/elsewhere/x.rl.ts", "**/*.rl.ts", ["/ws"]), "files outside every folder match on their whole path");
});
