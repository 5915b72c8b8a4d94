/**
 * The TypeScript server plugin (client/tsPlugin/) in a real TypeScript language service: a
 * fresh folder with a copy of examples/cartpole.rl.ts and no tsconfig type-checks cleanly
 * once the plugin is loaded, and shows "Cannot find module" without it (so the test can fail).
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import ts from "typescript";
import { createPlugin } from "../client/tsPlugin/plugin";

const TYPINGS = path.resolve("dist/types/index.d.ts");

/** A language service over `folder` with the compiler options VS Code gives a file outside any tsconfig. */
function languageService(folder: string, files: string[]): { service: ts.LanguageService; host: ts.LanguageServiceHost } {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    strict: true,
    allowJs: true,
    allowNonTsExtensions: true,
    ignoreDeprecations: "6.0",
  };
  const host: ts.LanguageServiceHost = {
    getCompilationSettings: () => options,
    getScriptFileNames: () => files,
    getScriptVersion: () => "1",
    getScriptSnapshot: (f) => (ts.sys.fileExists(f) ? ts.ScriptSnapshot.fromString(ts.sys.readFile(f) ?? "") : undefined),
    getCurrentDirectory: () => folder,
    getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
    fileExists: ts.sys.fileExists,
    readFile: ts.sys.readFile,
    directoryExists: ts.sys.directoryExists,
    getDirectories: ts.sys.getDirectories,
  };
  return { service: ts.createLanguageService(host, ts.createDocumentRegistry()), host };
}

function messages(service: ts.LanguageService, file: string): string[] {
  return [...service.getSyntacticDiagnostics(file), ...service.getSemanticDiagnostics(file)].map((d) =>
    ts.flattenDiagnosticMessageText(d.messageText, "\n"),
  );
}

test("cartpole.rl.ts in a folder without tsconfig has no diagnostics with the plugin, and cannot find the runtime without it", () => {
  const folder = mkdtempSync(path.join(os.tmpdir(), "rl-ts-plugin-"));
  try {
    const file = path.join(folder, "cartpole.rl.ts");
    copyFileSync("examples/cartpole.rl.ts", file);

    const bare = languageService(folder, [file]);
    assert.ok(
      messages(bare.service, file).some((m) => m.includes("Cannot find module 'rl-playground'")),
      "without the plugin TypeScript cannot resolve the runtime",
    );

    const { service, host } = languageService(folder, [file]);
    const plugged = createPlugin(TYPINGS)({ typescript: ts }).create({ languageService: service, languageServiceHost: host });
    assert.deepEqual(messages(plugged, file), []);
    // The runtime's declarations, not `any`: hovering Environment names the shipped class.
    const position = readFileSync(file, "utf8").indexOf("Environment");
    const info = plugged.getQuickInfoAtPosition(file, position);
    assert.match(ts.displayPartsToString(info?.displayParts), /class Environment/);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

test("only environment files get the fallback: a plain .ts importing rl-playground still reports it missing", () => {
  const folder = mkdtempSync(path.join(os.tmpdir(), "rl-ts-plugin-"));
  try {
    const file = path.join(folder, "other.ts");
    writeFileSync(file, 'import { Box } from "rl-playground";\nexport const b = new Box(0, 1, 2);\n');
    const { service, host } = languageService(folder, [file]);
    const plugged = createPlugin(TYPINGS)({ typescript: ts }).create({ languageService: service, languageServiceHost: host });
    assert.ok(messages(plugged, file).some((m) => m.includes("Cannot find module 'rl-playground'")));
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});
