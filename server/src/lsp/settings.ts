/**
 * The `rlPlayground.*` settings, read per resource through `workspace/configuration` and
 * validated at the boundary (a bad value falls back to its default, never throws). A
 * client without the configuration capability may push them with
 * `workspace/didChangeConfiguration` (`{ settings: { rlPlayground: {...} } }`).
 */
import * as v from "valibot";
import type { Connection } from "vscode-languageserver";
import type { BackendChoice } from "../protocol";
import { DEFAULT_PROBE_BUDGET_MS } from "./engineCalls";

export interface ServerSettings {
  /** Glob of environment files, relative to the workspace folder. */
  files: string;
  backend: BackendChoice;
  /** Target time of the on-type variance probe, in ms. */
  probeBudgetMs: number;
  /** Where `@tensorflow/tfjs-node` is: its package folder or a `node_modules` folder; empty = the workspace's. */
  tfjsNodePath: string;
  /** Runner processes for checks at once, at most; 0 = one per core. */
  maxRunners: number;
}

export const DEFAULT_SERVER_SETTINGS: ServerSettings = {
  files: "**/*.rl.ts",
  backend: "auto",
  probeBudgetMs: DEFAULT_PROBE_BUDGET_MS,
  tfjsNodePath: "",
  maxRunners: 0,
};

const SettingsSchema = v.object({
  files: v.fallback(v.pipe(v.string(), v.minLength(1)), DEFAULT_SERVER_SETTINGS.files),
  backend: v.fallback(v.picklist(["auto", "tensorflow", "wasm", "cpu"]), DEFAULT_SERVER_SETTINGS.backend),
  probeBudgetMs: v.fallback(v.pipe(v.number(), v.minValue(50), v.maxValue(10_000)), DEFAULT_SERVER_SETTINGS.probeBudgetMs),
  tfjsNodePath: v.fallback(v.string(), DEFAULT_SERVER_SETTINGS.tfjsNodePath),
  maxRunners: v.fallback(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(64)), DEFAULT_SERVER_SETTINGS.maxRunners),
});

export function validSettings(raw: unknown): ServerSettings {
  const parsed = v.safeParse(SettingsSchema, raw && typeof raw === "object" ? raw : {});
  return parsed.success ? parsed.output : { ...DEFAULT_SERVER_SETTINGS };
}

export class SettingsReader {
  private readonly perResource = new Map<string, Promise<ServerSettings>>();
  private pushed: ServerSettings = { ...DEFAULT_SERVER_SETTINGS };

  constructor(
    private readonly connection: Connection,
    private readonly canPull: () => boolean,
  ) {}

  /** The settings that apply to `uri` (a document or a workspace folder; none: the window's). */
  forResource(uri: string | undefined): Promise<ServerSettings> {
    if (!this.canPull()) return Promise.resolve(this.pushed);
    const key = uri ?? "";
    let settings = this.perResource.get(key);
    if (!settings) {
      settings = this.connection.workspace
        .getConfiguration(uri ? { scopeUri: uri, section: "rlPlayground" } : { section: "rlPlayground" })
        .then(validSettings, () => ({ ...DEFAULT_SERVER_SETTINGS }));
      this.perResource.set(key, settings);
    }
    return settings;
  }

  /** `workspace/didChangeConfiguration`: forget what was read; keep pushed settings when given. */
  changed(pushedSettings: unknown): void {
    this.perResource.clear();
    const section =
      pushedSettings && typeof pushedSettings === "object" ? (pushedSettings as Record<string, unknown>).rlPlayground : undefined;
    if (section !== undefined) this.pushed = validSettings(section);
  }

  forget(uri: string): void {
    this.perResource.delete(uri);
  }
}
