/**
 * The quick fixes' edits without a server: each produces the intended text, keeps the file
 * free of syntax errors, and declines (null) where a mechanical fix would be wrong.
 * Also the `rlPlayground.files` glob and the settings' validation.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import ts from "typescript";
import type { Diagnostic as LspDiagnostic } from "vscode-languageserver";
import { ClientCommands } from "../server/src/protocol";
import { quickFixActions } from "../server/src/lsp/codeActions";
import { matchesFiles } from "../server/src/lsp/fileGlob";
import { SOURCE } from "../server/src/lsp/lspDiagnostics";
import {
  applyEdits,
  EPISODES_PER_UPDATE_CAP,
  episodesForSnr,
  exportEnvironmentAsDefault,
  renameTrainingKey,
  setEpisodesPerUpdate,
  setMeanBaseline,
  useThisRng,
  type TextEdit,
} from "../server/src/lsp/sourceEdits";
import { DEFAULT_SERVER_SETTINGS, validSettings } from "../server/src/lsp/settings";
import { LSP_FIXTURES } from "./lspSession";

const fixture = (name: string) => fs.readFileSync(path.join(LSP_FIXTURES, name), "utf8");

function apply(source: string, edits: TextEdit[] | null): string {
  assert.ok(edits, "a fix is offered");
  const out = applyEdits(source, edits);
  const syntax =
    ts.transpileModule(out, { reportDiagnostics: true, compilerOptions: { target: ts.ScriptTarget.ES2022 } }).diagnostics ?? [];
  assert.deepEqual(
    syntax.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n")),
    [],
    out,
  );
  return out;
}

describe("quick fixes on the syntax tree", () => {
  it("baseline: replaces an existing value inside a multi-line training export", () => {
    const out = apply(fixture("baseline.rl.ts"), setMeanBaseline(fixture("baseline.rl.ts")));
    assert.match(out, /export const training = \{\n {2}baseline: "mean",\n {2}policy: \{ hidden: \[\] \},\n\};/);
  });

  it("baseline: creates the training export when the file has none", () => {
    const source = fixture("no-training.rl.ts");
    const out = apply(source, setMeanBaseline(source));
    assert.ok(out.startsWith(source));
    assert.match(out, /\n\nexport const training = \{ baseline: "mean" \};\n$/);
  });

  it("adds a missing property after the last one (it then also overrides a spread), on one line or on its own line, and fills an empty literal", () => {
    assert.equal(
      apply("export const training = { seed: 1 };\n", setMeanBaseline("export const training = { seed: 1 };\n")),
      'export const training = { seed: 1, baseline: "mean" };\n',
    );
    assert.equal(
      apply("export const training = {\n    seed: 1,\n};\n", setEpisodesPerUpdate("export const training = {\n    seed: 1,\n};\n", 40)),
      "export const training = {\n    seed: 1,\n    episodesPerUpdate: 40,\n};\n",
    );
    assert.equal(
      apply("export const training = {};\n", setMeanBaseline("export const training = {};\n")),
      'export const training = { baseline: "mean" };\n',
    );
    assert.equal(
      apply(
        "export const training = { seed: 1 } satisfies object;\n",
        setMeanBaseline("export const training = { seed: 1 } satisfies object;\n"),
      ),
      'export const training = { seed: 1, baseline: "mean" } satisfies object;\n',
    );
  });

  it("declines when the training export is not an object literal, or `training` is taken", () => {
    assert.equal(setMeanBaseline("const base = {};\nexport const training = base;\n"), null);
    assert.equal(setMeanBaseline("const training = {};\nexport { training };\n"), null);
  });

  it("episodesPerUpdate: N = ⌈SNR · noiseScale⌉, at least 2, capped", () => {
    assert.deepEqual(episodesForSnr(7.2, 1), { episodes: 8, capped: false });
    assert.deepEqual(episodesForSnr(7.2, 2), { episodes: 15, capped: false });
    assert.deepEqual(episodesForSnr(0.4, 1), { episodes: 2, capped: false });
    assert.deepEqual(episodesForSnr(5000, 1), { episodes: EPISODES_PER_UPDATE_CAP, capped: true });
    const out = apply(fixture("noisy.rl.ts"), setEpisodesPerUpdate(fixture("noisy.rl.ts"), 9));
    assert.match(out, /export const training = \{ episodesPerUpdate: 9, baseline: "mean", policy: \{ hidden: \[\] \} \};/);
  });

  it("Math.random() → this.rng() in the environment's methods only", () => {
    const source = [
      'import { Environment } from "rl-playground";',
      "const outside = () => Math.random();",
      "export default class E extends Environment {",
      "  static shared = Math.random();",
      "  reset(seed?: number) {",
      "    super.reset(seed);",
      "    const jitter = () => Math.random();",
      "    function detached() { return Math.random(); }",
      "    return [[Math.random() + jitter() + detached()], {}];",
      "  }",
      "}",
    ].join("\n");
    const out = apply(source, useThisRng(source));
    assert.match(out, /const outside = \(\) => Math\.random\(\);/, "outside the class");
    assert.match(out, /static shared = Math\.random\(\);/, "static: no `this` environment");
    assert.match(out, /const jitter = \(\) => this\.rng\(\);/, "arrow functions keep `this`");
    assert.match(out, /function detached\(\) \{ return Math\.random\(\); \}/, "a function has its own `this`");
    assert.match(out, /return \[\[this\.rng\(\) \+ jitter\(\) \+ detached\(\)\], \{\}\];/);
    assert.equal(useThisRng(fixture("baseline.rl.ts")), null, "nothing to replace");
  });

  it("export default on the Environment class", () => {
    assert.match(
      apply(fixture("not-default.rl.ts"), exportEnvironmentAsDefault(fixture("not-default.rl.ts"))),
      /^export default class Forgotten extends Environment \{/m,
    );
    const bare = 'import { Environment } from "rl-playground";\nclass Bare extends Environment {}\n';
    assert.match(apply(bare, exportEnvironmentAsDefault(bare)), /^export default class Bare/m);
    const abstractClass = 'import { Environment } from "rl-playground";\nabstract class A extends Environment {}\n';
    assert.match(apply(abstractClass, exportEnvironmentAsDefault(abstractClass)), /^export default abstract class A/m);
    const taken = 'import { Environment } from "rl-playground";\nexport class A extends Environment {}\nexport default 3;\n';
    assert.equal(exportEnvironmentAsDefault(taken), null, "a second default export would not compile");
  });
});

describe("rlPlayground.files and settings", () => {
  it("matches globs relative to the workspace folder", () => {
    assert.ok(matchesFiles("/ws/envs/cart.rl.ts", "**/*.rl.ts", ["/ws"]));
    assert.ok(matchesFiles("/ws/cart.rl.ts", "**/*.rl.ts", ["/ws"]));
    assert.ok(!matchesFiles("/ws/cart.ts", "**/*.rl.ts", ["/ws"]));
    assert.ok(matchesFiles("/ws/envs/cart.ts", "envs/*.{ts,js}", ["/ws"]));
    assert.ok(!matchesFiles("/ws/other/envs/cart.ts", "envs/*.ts", ["/ws"]));
    assert.ok(matchesFiles("/elsewhere/x.rl.ts", "**/*.rl.ts", ["/ws"]), "files outside every folder match on their whole path");
  });

  it("falls back to the default for each bad setting", () => {
    assert.deepEqual(validSettings({ files: "", backend: "gpu", probeBudgetMs: "fast", tfjsNodePath: 3, maxRunners: 1.5 }), {
      files: "**/*.rl.ts",
      backend: "auto",
      probeBudgetMs: DEFAULT_SERVER_SETTINGS.probeBudgetMs,
      tfjsNodePath: "",
      maxRunners: 0,
    });
    assert.deepEqual(validSettings({ backend: "wasm", probeBudgetMs: 500, maxRunners: 3 }), {
      files: "**/*.rl.ts",
      backend: "wasm",
      probeBudgetMs: 500,
      tfjsNodePath: "",
      maxRunners: 3,
    });
    assert.equal(validSettings(null).backend, "auto");
  });
});

describe("quick fix: a misspelt training key renamed", () => {
  const at = (source: string, text: string) => {
    const lines = source.split("\n");
    const line = lines.findIndex((l) => l.includes(text));
    const character = lines[line]!.indexOf(text);
    return { start: { line, character }, end: { line, character: character + text.length } };
  };
  it("renames a top-level key, a quoted one, and one inside policy", () => {
    const source = 'export const training = {\n  learningrate: 0.1,\n  "Gamma": 0.9,\n  policy: { hiden: [8] },\n};\n';
    assert.match(apply(source, renameTrainingKey(source, at(source, "learningrate: 0.1"), "learningRate")), /\n  learningRate: 0\.1,/);
    assert.match(apply(source, renameTrainingKey(source, at(source, '"Gamma": 0.9'), "gamma")), /\n  "gamma": 0\.9,/);
    assert.match(apply(source, renameTrainingKey(source, at(source, "hiden: [8]"), "hidden")), /policy: \{ hidden: \[8\] \}/);
  });
  it("declines where there is no such key", () => {
    const source = "export const training = makeSettings();\n";
    assert.equal(renameTrainingKey(source, at(source, "makeSettings"), "gamma"), null);
  });
});

describe("quick fixes as code actions: their order and where they lead", () => {
  // A file far longer than a screen, whose training export is at the end.
  const source =
    'import { Discrete, Environment } from "rl-playground";\n' +
    "export default class Long extends Environment<number, number> {\n" +
    Array.from({ length: 120 }, (_, i) => `  // line ${i}\n`).join("") +
    '}\n\nexport const training = {\n  episodesPerUpdate: 2,\n  baseline: "none",\n};\n';
  const at = (line: number): LspDiagnostic["range"] => ({ start: { line, character: 0 }, end: { line, character: 10 } });
  const noise: LspDiagnostic = {
    source: SOURCE,
    code: "gradient-noise",
    message: "noisy",
    range: at(1),
    data: { noiseScale: 190.2, noiseScaleInterval: [120, 300] },
  };
  const baseline: LspDiagnostic = { source: SOURCE, code: "baseline-recommended", message: "no baseline", range: at(1) };

  it("lists the free fix (a mean baseline) above a bigger batch, whichever diagnostic comes first", () => {
    for (const diagnostics of [
      [noise, baseline],
      [baseline, noise],
    ]) {
      const titles = quickFixActions("file:///long.rl.ts", source, diagnostics).map((a) => a.title);
      assert.deepEqual(
        titles.map((t) => t.replace(/ \(.*$/, "")),
        [
          'Set baseline: "mean" in the training export',
          "Set episodesPerUpdate to 191",
          "Set episodesPerUpdate to 256",
          ...diagnostics.map((d) => `Ignore ${String(d.code)} here`),
        ],
      );
    }
  });

  it("each edit carries the client's reveal command, with the range the new text occupies after the edit", () => {
    const uri = "file:///long.rl.ts";
    const actions = quickFixActions(uri, source, [noise, baseline]);
    assert.ok(actions.length > 0);
    for (const action of actions) {
      const edits = action.edit!.changes![uri]!;
      assert.equal(action.command?.command, ClientCommands.revealRange, action.title);
      const [target, range] = action.command!.arguments as [string, LspDiagnostic["range"]];
      assert.equal(target, uri);
      const after = applyEdits(source, edits).split("\n");
      const first = [...edits].sort(
        (a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character,
      )[0]!;
      const shown =
        range.start.line === range.end.line
          ? after[range.start.line]!.slice(range.start.character, range.end.character)
          : [
              after[range.start.line]!.slice(range.start.character),
              ...after.slice(range.start.line + 1, range.end.line),
              after[range.end.line]!.slice(0, range.end.character),
            ].join("\n");
      assert.equal(shown, first.newText, action.title);
    }
    // The training export's fixes lead past the class, far below the diagnostic.
    const baselineFix = actions.find((a) => a.title.startsWith("Set baseline"))!;
    assert.ok((baselineFix.command!.arguments![1] as LspDiagnostic["range"]).start.line > 100);
  });
});
