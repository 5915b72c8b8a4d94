/**
 * The dashboard's "also save them to the file", as the language server answers it: request
 * `rlPlayground/editTraining` gives the edit that writes the settings into the `training`
 * export, made on the syntax tree: existing keys get their value replaced, missing ones are
 * added after the others, a file without the export gets one, and everything else (comments,
 * layout, nested keys, template strings with `${…}`, regex literals) stays as it was. Settings
 * the `invalid-training` check would reject are refused, and so is an export that is no object
 * literal: nothing is written then.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import ts from "typescript";
import { ErrorCodes, ResponseError, type TextDocumentEdit, type WorkspaceEdit } from "vscode-languageserver-protocol/node";
import { EditTrainingRequest } from "../server/src/lspMethods";
import { resolveSettings } from "../server/src/rl/settings";
import type { TrainingSettingsPatch } from "../server/src/protocol";
import { LspSession } from "./lspSession";

/** The text after applying a workspace edit's edits of `uri` (from the end backwards, as LSP edits do not overlap). */
function applied(text: string, edit: WorkspaceEdit, uri: string): string {
  const changes = (edit.documentChanges ?? []) as TextDocumentEdit[];
  assert.ok(
    changes.every((c) => c.textDocument.uri === uri),
    "edits only the file asked for",
  );
  const edits = changes.flatMap((c) => c.edits);
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === "\n") starts.push(i + 1);
  const offset = (p: { line: number; character: number }) => starts[p.line]! + p.character;
  let out = text;
  // Inserts at one place appear in the order of the array (LSP): applied from the last one back.
  const ordered = edits.map((e, i) => ({ e, i })).sort((a, b) => offset(b.e.range.start) - offset(a.e.range.start) || b.i - a.i);
  for (const { e } of ordered)
    out = out.slice(0, offset(e.range.start)) + ("newText" in e ? e.newText : "") + out.slice(offset(e.range.end));
  return out;
}

/** The `training` export's value as JavaScript evaluates it (the file transpiled and run without its imports). */
function trainingOf(source: string): Record<string, unknown> {
  const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } });
  const exports: Record<string, unknown> = {};
  new Function("exports", "require", js.outputText)(exports, () => ({ Environment: class {} }));
  return exports.training as Record<string, unknown>;
}

function syntaxErrors(source: string): string[] {
  const out = ts.transpileModule(source, { reportDiagnostics: true, compilerOptions: { target: ts.ScriptTarget.ES2022 } });
  return (out.diagnostics ?? []).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
}

describe("rlPlayground/editTraining", () => {
  let lsp: LspSession;
  before(async () => {
    lsp = await LspSession.start();
  });
  after(() => lsp.dispose());

  let count = 0;
  /** Writes `text` to a new file of the workspace; open in the editor unless `onDisk`. */
  const file = (text: string, onDisk = false) => {
    const target = path.join(lsp.workspace, `edit-${count++}.rl.ts`);
    fs.writeFileSync(target, text);
    return onDisk ? pathToFileURL(target).toString() : lsp.open(target, text);
  };
  const edit = (uri: string, settings: TrainingSettingsPatch) => lsp.connection.sendRequest(EditTrainingRequest.type, { uri, settings });
  const write = async (text: string, settings: TrainingSettingsPatch) => {
    const uri = file(text);
    const out = applied(text, await edit(uri, settings), uri);
    assert.deepEqual(syntaxErrors(out), [], out);
    return out;
  };

  it("replaces the values of keys the export has and adds the others after them", async () => {
    const source = "const x = 1;\n\nexport const training = { policy: { hidden: [16] }, seed: 3 };\n";
    assert.equal(
      await write(source, { seed: 7, episodesPerUpdate: 32, baseline: "none" }),
      'const x = 1;\n\nexport const training = { policy: { hidden: [16] }, seed: 7, episodesPerUpdate: 32, baseline: "none" };\n',
    );
  });

  it("keeps a multi-line export's comments, layout and nested keys", async () => {
    const source = [
      "export const training = {",
      "  // bigger batches: the noise scale said so",
      "  episodesPerUpdate: 16, // was 8",
      '  policy: { hidden: [32], seed: "not top level" },',
      "  learningRate: 0.01",
      "};",
      "",
    ].join("\n");
    assert.equal(
      await write(source, { episodesPerUpdate: 64, learningRate: 0.003, gamma: 0.95 }),
      [
        "export const training = {",
        "  // bigger batches: the noise scale said so",
        "  episodesPerUpdate: 64, // was 8",
        '  policy: { hidden: [32], seed: "not top level" },',
        "  learningRate: 0.003,",
        "  gamma: 0.95",
        "};",
        "",
      ].join("\n"),
    );
  });

  it("adds a key after a last property that ends in a line comment, not inside the comment", async () => {
    assert.equal(
      await write("export const training = {\n  seed: 1, // fixed\n};\n", { gamma: 0.5 }),
      "export const training = {\n  seed: 1, // fixed\n  gamma: 0.5,\n};\n",
    );
    assert.equal(
      await write("export const training = {\n  seed: 1 // fixed\n};\n", { gamma: 0.5 }),
      "export const training = {\n  seed: 1, // fixed\n  gamma: 0.5\n};\n",
    );
  });

  it("gives a file without the export one at its end; settings it already has give no edit", async () => {
    assert.equal(
      await write("export default class E {}\n", { gamma: 0.9 }),
      "export default class E {}\n\nexport const training = { gamma: 0.9 };\n",
    );
    const same = 'export const training = { gamma: 0.9, baseline: "mean" };\n';
    assert.equal(await write(same, { gamma: 0.9, baseline: "mean" }), same);
  });

  it("is not misled by braces, commas and `training` inside template strings with ${…}, regexes and comments", async () => {
    const source = [
      "const label = `a } brace, ${`nested ${'}'} training = {`} and ${1 + 2}, }`;",
      "const pattern = /export const training = \\{[^}]*,/g;",
      "// export const training = { gamma: 0.1 };",
      "/* } */ export const training = {",
      "  note: `seed: ${label.length}, }`,",
      "  test: /[{},]seed: 1/.test(label),",
      "  seed: 1,",
      "};",
      "",
    ].join("\n");
    const out = await write(source, { seed: 5, entropyCoef: 0.01 });
    assert.equal(
      out,
      source.replace("  seed: 1,\n", "  seed: 5,\n  entropyCoef: 0.01,\n"),
      "only the seed's value changed and the new key follows it",
    );
    const training = trainingOf(out);
    assert.equal(training.seed, 5);
    assert.equal(training.entropyCoef, 0.01);
    assert.equal(training.note, trainingOf(source).note, "the template string is untouched");
    assert.match(String(training.note), /^seed: \d+, \}$/);
  });

  it("sets the value that overrides a spread, and a shorthand property", async () => {
    const source = "const base = { seed: 2, gamma: 0.5 };\nconst seed = 4;\nexport const training = { ...base, seed } as const;\n";
    const out = await write(source, { seed: 9, gamma: 0.9 });
    assert.deepEqual(trainingOf(out), { seed: 9, gamma: 0.9 });
  });

  it("edits the file on disk when no editor has it open", async () => {
    const uri = file("export const training = { seed: 1 };\n", true);
    const result = await edit(uri, { seed: 2 });
    assert.equal(applied("export const training = { seed: 1 };\n", result, uri), "export const training = { seed: 2 };\n");
    assert.equal((result.documentChanges?.[0] as TextDocumentEdit).textDocument.version, null);
  });

  /** The request fails with `code` and a message matching `expected`. */
  async function refused(request: Promise<unknown>, code: number, expected: RegExp): Promise<void> {
    await assert.rejects(request, (error: unknown) => {
      assert.ok(error instanceof ResponseError, `a response error, not ${String(error)}`);
      assert.equal(error.code, code, error.message);
      assert.match(error.message, expected);
      return true;
    });
  }

  it("refuses every setting the invalid-training check would reject, saying what the setting must be", async () => {
    const uri = file("export const training = { seed: 1 };\n");
    const rejected: Array<[Record<string, unknown>, RegExp]> = [
      [{ episodesPerUpdate: 1 }, /settings\.episodesPerUpdate must be a whole number >= 2.*got 1/],
      [{ episodesPerUpdate: 2.5 }, /episodesPerUpdate must be a whole number >= 2/],
      [{ learningRate: 0 }, /learningRate must be a number > 0/],
      [{ gamma: 1.5 }, /gamma must be a number in \[0, 1\]/],
      [{ gamma: "0.9" }, /gamma must be a number in \[0, 1\]/],
      [{ baseline: "median" }, /baseline must be "none", "mean" or "value"/],
      [{ maxEpisodes: 0 }, /maxEpisodes must be a whole number >= 1/],
      [{ seed: 0.5 }, /seed must be a whole number/],
      [{ normalizeAdvantages: "yes" }, /normalizeAdvantages must be true or false/],
      [{ entropyCoef: -1 }, /entropyCoef must be a number >= 0/],
    ];
    for (const [settings, message] of rejected) {
      let engineAccepts = true;
      try {
        resolveSettings(settings);
      } catch {
        engineAccepts = false;
      }
      assert.equal(engineAccepts, false, `the check rejects ${JSON.stringify(settings)} too`);
      await refused(lsp.connection.sendRequest(EditTrainingRequest.type.method, { uri, settings }), ErrorCodes.InvalidParams, message);
    }
    // Only the flat settings the form edits: a typo, and the nested ones, are left to the file.
    for (const settings of [{ learningrate: 0.1 }, { policy: { hidden: [8] } }])
      await refused(
        lsp.connection.sendRequest(EditTrainingRequest.type.method, { uri, settings }),
        ErrorCodes.InvalidParams,
        /must be one of the settings episodesPerUpdate, learningRate/,
      );
    for (const params of [null, {}, { uri }, { uri: 7, settings: {} }])
      await refused(
        lsp.connection.sendRequest(EditTrainingRequest.type.method, params),
        ErrorCodes.InvalidParams,
        /rlPlayground\/editTraining expects \{uri: string, settings: \{/,
      );
  });

  it("refuses an export that is no object literal, or `training` declared without the export", async () => {
    await refused(
      edit(file("const base = { seed: 1 };\nexport const training = base;\n"), { seed: 2 }),
      ErrorCodes.InvalidRequest,
      /not an object literal/,
    );
    await refused(
      edit(file("const training = { seed: 1 };\nexport { training };\n"), { seed: 2 }),
      ErrorCodes.InvalidRequest,
      /declares `training` without/,
    );
  });
});
