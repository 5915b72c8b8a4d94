/**
 * A TypeScript server plugin (package.json `contributes.typescriptServerPlugins`): VS Code's
 * own TypeScript server loads it, and it makes `import … from "rl-playground"` in an
 * environment file resolve to the runtime's typings shipped with the extension. Without it a
 * fresh folder of environments shows "Cannot find module 'rl-playground'" until the user adds a
 * path mapping. It resolves only what TypeScript itself could not, and only for `*.rl.ts`
 * importers, so a workspace's own mapping or an installed package keeps precedence.
 */
import type * as ts from "typescript";

/** The module specifier environment files import the runtime by. */
export const RUNTIME_MODULE = "rl-playground";

const ENVIRONMENT_FILE = /\.rl\.ts$/;

type ResolveLiterals = NonNullable<ts.LanguageServiceHost["resolveModuleNameLiterals"]>;

/** The part of tsserver's PluginCreateInfo this plugin reads. */
export interface PluginCreateInfo {
  languageService: ts.LanguageService;
  languageServiceHost: ts.LanguageServiceHost;
}

/** The plugin module's shape, as tsserver calls it: `init({ typescript }).create(info)`. */
export type PluginInit = (modules: { typescript: typeof ts }) => {
  create(info: PluginCreateInfo): ts.LanguageService;
};

/** A plugin that resolves the runtime to `typingsFile` (an absolute path to its index.d.ts). */
export function createPlugin(typingsFile: string): PluginInit {
  return ({ typescript }) => ({
    create(info) {
      wrapModuleResolution(typescript, info.languageServiceHost, typingsFile);
      return info.languageService;
    },
  });
}

/**
 * Replaces the host's module resolution with one that falls back to the shipped typings. The
 * language service asks the host at every program update, so wrapping the host after the
 * service was made takes effect at the next check.
 */
function wrapModuleResolution(typescript: typeof ts, host: ts.LanguageServiceHost, typingsFile: string): void {
  const resolve: ResolveLiterals =
    host.resolveModuleNameLiterals?.bind(host) ??
    ((literals, containingFile, redirected, options) =>
      literals.map((literal) =>
        typescript.resolveModuleName(literal.text, containingFile, options, moduleResolutionHost(typescript, host), undefined, redirected),
      ));
  const runtime: ts.ResolvedModuleWithFailedLookupLocations = {
    resolvedModule: { resolvedFileName: typingsFile, extension: typescript.Extension.Dts, isExternalLibraryImport: true },
  };
  host.resolveModuleNameLiterals = (literals, containingFile, ...rest) => {
    const resolved = resolve(literals, containingFile, ...rest);
    if (!ENVIRONMENT_FILE.test(containingFile)) return resolved;
    return resolved.map((r, i) => (r.resolvedModule || literals[i]?.text !== RUNTIME_MODULE ? r : runtime));
  };
}

/** The file system the host reads through, or the machine's when the host names none. */
function moduleResolutionHost(typescript: typeof ts, host: ts.LanguageServiceHost): ts.ModuleResolutionHost {
  return {
    fileExists: (f) => host.fileExists?.(f) ?? typescript.sys.fileExists(f),
    readFile: (f) => host.readFile?.(f) ?? typescript.sys.readFile(f),
    directoryExists: host.directoryExists?.bind(host) ?? typescript.sys.directoryExists,
    realpath: host.realpath?.bind(host),
    getCurrentDirectory: () => host.getCurrentDirectory(),
  };
}
