/**
 * Diagnostics as you type: each watched document is checked on open and, debounced, on
 * change, on its unsaved contents. A newer edit aborts the running probe; a result is
 * published only if its document is still at the version that was checked. A probe that
 * has not finished `probeBudgetMs` after the check started does not hold back what is
 * certain: the transpile errors of that version are published at once and the document is
 * "measuring" (status and hover say so) until the complete verdict replaces them. Diagnostics
 * placed in imported files go to those files' URIs (merged over every document that
 * imports them); training failures are published beside the check's own.
 *
 * Checks share a bounded pool of runners (`rlPlayground.maxRunners`): when every runner is
 * busy a check waits, and the editor's active document is served first. Each check knows
 * the files its bundle read; a change to one of them (an edit in another open editor, or a
 * change on disk) checks the open documents that read it again. Imported files are bundled
 * from their open editors' contents when they have one.
 */
import * as fs from "node:fs";
import type { Connection, Diagnostic as LspDiagnostic, TextDocuments } from "vscode-languageserver";
import type { TextDocument } from "vscode-languageserver-textdocument";
import type { BackendName, Diagnostic, ProbeStats, RewardSummary } from "../protocol";
import { BundleInputs, canonicalPath } from "./bundleInputs";
import { staticCheck, transpileCheck } from "../api";
import { BACKEND_SETTING, checkDocument, type RunnerPools } from "./engineCalls";
import { matchesFiles } from "./fileGlob";
import { byUri, uriToPath, type DiagnosticData } from "./lspDiagnostics";
import type { ServerSettings, SettingsReader } from "./settings";

/** Quiet time after the last keystroke before a check starts. */
export const CHANGE_DEBOUNCE_MS = 150;

export interface CheckContext {
  connection: Connection;
  documents: TextDocuments<TextDocument>;
  settings: SettingsReader;
  pools: RunnerPools;
  folders(): string[];
  trusted(): boolean;
  log(message: string): void;
  /** The backend a check of `uri` ran on, why (the engine's words), and the settings that chose it. */
  onBackend(uri: string, backend: BackendName, reason: string | null, settings: ServerSettings): void;
  /** The backend the settings force could not load for `uri`: `message` is the check-failed diagnostic's. */
  onBackendFailed(uri: string, message: string, settings: ServerSettings): void;
  /** The documents whose statistics are being measured changed (the whole list, in check order). */
  onMeasuring(uris: string[]): void;
}

/** The last published check of a document. */
export interface StoredCheck {
  version: number;
  diagnostics: Diagnostic[];
  stats: ProbeStats | null;
  summary: RewardSummary | null;
  /** Only static checks ran (untrusted workspace). */
  staticOnly: boolean;
  /** What is certain was published; the probe is still measuring the statistics of this version. */
  measuring: boolean;
}

/** A check in flight. */
interface CheckRun {
  controller: AbortController;
  version: number;
  /** Its interim diagnostics are published and it has not ended. */
  measuring: boolean;
  /** It published interim diagnostics at some point. */
  publishedInterim: boolean;
}

export class DocumentChecks {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly running = new Map<string, CheckRun>();
  private readonly results = new Map<string, StoredCheck>();
  private readonly trainingDiagnostics = new Map<string, Diagnostic[]>();
  /** target URI → (document URI → its diagnostics there). */
  private readonly published = new Map<string, Map<string, LspDiagnostic[]>>();
  private readonly inputs = new BundleInputs();
  /** Canonical path → URI of every open document, for bundling from editors' contents. */
  private readonly openPaths = new Map<string, string>();
  /** Documents whose text is being bundled for its transpile errors right after an edit. */
  private readonly transpiling = new Set<string>();
  /**
   * Documents showing an edit's transpile errors (published at once) while their check is still
   * to come: measuring, as far as the client is concerned, until a check publishes its verdict.
   */
  private readonly editedInterim = new Set<string>();
  /** Callers of `checkNow` waiting for the document's next verdict. */
  private readonly verdictWaiters = new Map<string, Array<(check: StoredCheck | null) => void>>();
  /** The active editor's document: its check is the first to get a runner. */
  private active: string | null = null;
  /** What an imported file contains as far as the checks are concerned: its open editor's text, else the disk's. */
  private readonly sources = (file: string): string | undefined => {
    const uri = this.openPaths.get(file);
    return uri === undefined ? undefined : this.ctx.documents.get(uri)?.getText();
  };

  constructor(private readonly ctx: CheckContext) {}

  /** Check `uri` after `delayMs` of quiet; an edit in between restarts the wait and aborts a running probe. */
  schedule(uri: string, delayMs: number): void {
    clearTimeout(this.timers.get(uri));
    this.cancel(uri);
    this.timers.set(
      uri,
      setTimeout(() => {
        this.timers.delete(uri);
        void this.run(uri).catch((error: unknown) => {
          this.ctx.log(`check of ${uri} failed: ${describe(error)}`);
          if (this.editedInterim.delete(uri)) this.reportMeasuring();
          this.verdict(uri, null);
        });
      }, delayMs),
    );
  }

  /**
   * Checks the document now and resolves with the next verdict published for it (of its newest
   * text, when it is edited meanwhile); null when it is closed, or is no environment file.
   */
  checkNow(uri: string): Promise<StoredCheck | null> {
    const verdict = new Promise<StoredCheck | null>((resolve) =>
      this.verdictWaiters.set(uri, [...(this.verdictWaiters.get(uri) ?? []), resolve]),
    );
    this.schedule(uri, 0);
    return verdict;
  }

  private verdict(uri: string, check: StoredCheck | null): void {
    const waiters = this.verdictWaiters.get(uri);
    this.verdictWaiters.delete(uri);
    for (const resolve of waiters ?? []) resolve(check);
  }

  latest(uri: string): StoredCheck | undefined {
    return this.results.get(uri);
  }

  /** A closed document: stop its work and clear what it published. */
  close(uri: string): void {
    clearTimeout(this.timers.get(uri));
    this.timers.delete(uri);
    this.cancel(uri);
    this.running.delete(uri);
    this.results.delete(uri);
    this.trainingDiagnostics.delete(uri);
    this.inputs.forget(uri);
    if (this.editedInterim.delete(uri)) this.reportMeasuring();
    this.publish(uri, null);
    this.verdict(uri, null);
  }

  /** The editor's active document changed: a check of it waiting for a runner goes first. */
  setActive(uri: string | null): void {
    this.active = uri;
  }

  /**
   * Any document opened (environment file or not): imports of it are bundled from its text
   * from now on, so when that differs from the disk (an unsaved buffer restored) the
   * documents that import it are checked again.
   */
  opened(doc: TextDocument): void {
    const file = uriToPath(doc.uri);
    if (!file) return;
    this.openPaths.set(canonicalPath(file), doc.uri);
    if (doc.getText() !== readDisk(file)) this.fileChanged(file, doc.uri);
  }

  /**
   * An open document's text changed: the documents that import it are checked again, and a
   * transpile error the edit removed (or one it made) is shown at once rather than after the
   * debounce and the probe. Bundling takes milliseconds; the check proper waits for quiet.
   */
  edited(uri: string): void {
    const file = uriToPath(uri);
    if (file) this.fileChanged(file, uri);
    void this.publishTranspileErrors(uri).catch((error: unknown) =>
      this.ctx.log(`transpile check of ${uri} after an edit failed: ${describe(error)}`),
    );
  }

  /**
   * Bundles the document's newest text and, when what it shows would change (it shows a
   * transpile error, or the new text has one), publishes the new text's transpile errors for its
   * version, as the interim publish at the probe's deadline does: what is certain for that
   * version, the document measuring until its check's verdict. At most one bundling per
   * document at a time; edits made meanwhile are bundled after it, newest text only.
   */
  private async publishTranspileErrors(uri: string): Promise<void> {
    // Untrusted, the check itself is bundling only: nothing slow to get ahead of.
    if (this.transpiling.has(uri) || !this.ctx.trusted()) return;
    this.transpiling.add(uri);
    try {
      for (;;) {
        const doc = this.ctx.documents.get(uri);
        const file = uriToPath(uri);
        const shown = this.results.get(uri);
        // Only documents that have been checked (watched environment files) and whose shown version is older.
        if (!doc || !file || !shown || shown.version >= doc.version) return;
        const version = doc.version;
        const { diagnostics } = await transpileCheck(file, doc.getText(), this.sources);
        if (this.ctx.documents.get(uri)?.version !== version) continue;
        const now = this.results.get(uri);
        if (!now || now.version >= version) return;
        if (diagnostics.length === 0 && !now.diagnostics.some((d) => d.code === "transpile-error")) return;
        this.results.set(uri, { version, diagnostics, stats: null, summary: null, staticOnly: now.staticOnly, measuring: true });
        this.trainingDiagnostics.delete(uri);
        this.editedInterim.add(uri);
        // The status first: a client sees the document measuring before its interim diagnostics.
        this.reportMeasuring();
        this.publish(uri, version);
        return;
      }
    } finally {
      this.transpiling.delete(uri);
    }
  }

  /** Any document closed: imports of it are read from disk again, which may differ from what its editor had. */
  closed(doc: TextDocument): void {
    const file = uriToPath(doc.uri);
    if (!file) return;
    this.openPaths.delete(canonicalPath(file));
    if (doc.getText() !== readDisk(file)) this.fileChanged(file, doc.uri);
  }

  /**
   * Files changed on disk (the client's watcher). A change to a file open in an editor is
   * not one the checks see (they read its editor's text); a file created or deleted changes
   * what imports resolve to, so those count even when open, and a created file may be the
   * missing import of a document whose check could not bundle it.
   */
  filesChanged(changes: Array<{ uri: string; kind: "created" | "changed" | "deleted" }>): void {
    for (const change of changes) {
      const file = uriToPath(change.uri);
      if (!file) continue;
      if (change.kind === "changed" && this.openPaths.has(canonicalPath(file))) continue;
      this.fileChanged(file, null);
      if (change.kind !== "created") continue;
      for (const [uri, check] of this.results)
        if (check.diagnostics.some((d) => d.code === "transpile-error")) this.schedule(uri, CHANGE_DEBOUNCE_MS);
    }
  }

  /** `file` changed: every open document whose last check read it (other than `file`'s own) is checked again. */
  private fileChanged(file: string, except: string | null): void {
    for (const uri of this.inputs.changed(file)) if (uri !== except && this.ctx.documents.get(uri)) this.schedule(uri, CHANGE_DEBOUNCE_MS);
  }

  /** Check every open document again (trust granted, settings changed). */
  recheckOpen(): void {
    for (const doc of this.ctx.documents.all()) this.schedule(doc.uri, 0);
  }

  /** Diagnostics of a failed training, shown until the next training of that file or an edit. */
  setTrainingDiagnostics(uri: string, diagnostics: Diagnostic[]): void {
    if (diagnostics.length) this.trainingDiagnostics.set(uri, diagnostics);
    else if (!this.trainingDiagnostics.delete(uri)) return;
    this.publish(uri, this.results.get(uri)?.version ?? null);
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    for (const r of this.running.values()) r.controller.abort();
  }

  /** Aborts the document's running check: from now on it publishes nothing, and it no longer measures. */
  private cancel(uri: string): void {
    const run = this.running.get(uri);
    if (!run) return;
    run.controller.abort();
    this.setMeasuring(run, false);
    const stored = this.results.get(uri);
    if (stored?.measuring) this.results.set(uri, { ...stored, measuring: false });
  }

  private setMeasuring(run: CheckRun, measuring: boolean): void {
    if (run.measuring === measuring) return;
    run.measuring = measuring;
    this.reportMeasuring();
  }

  /** The documents measuring: checks past their deadline, and edits whose transpile errors were published ahead of their check. */
  private reportMeasuring(): void {
    const uris = [...this.running].filter(([, r]) => r.measuring).map(([uri]) => uri);
    for (const uri of this.editedInterim) if (!uris.includes(uri)) uris.push(uri);
    this.ctx.onMeasuring(uris);
  }

  private isCurrent(uri: string, run: CheckRun): boolean {
    return !run.controller.signal.aborted && this.ctx.documents.get(uri)?.version === run.version;
  }

  /**
   * The probe overran its budget: publish what is certain for this version now (its
   * transpile errors, which the complete check reports too) and mark it measuring. Run only
   * at the deadline, so a check that finishes in time bundles the file once.
   */
  private async publishInterim(uri: string, file: string, contents: string, run: CheckRun, finished: () => boolean): Promise<void> {
    const { diagnostics } = await transpileCheck(file, contents, this.sources);
    if (finished() || !this.isCurrent(uri, run)) return;
    this.results.set(uri, { version: run.version, diagnostics, stats: null, summary: null, staticOnly: false, measuring: true });
    this.trainingDiagnostics.delete(uri);
    run.publishedInterim = true;
    // The status first: a client sees the document measuring before its interim diagnostics.
    this.setMeasuring(run, true);
    this.publish(uri, run.version);
  }

  private async run(uri: string): Promise<void> {
    const doc = this.ctx.documents.get(uri);
    const file = uriToPath(uri);
    if (!doc || !file) return;
    const version = doc.version;
    const settings = await this.ctx.settings.forResource(uri);
    // Edited while the settings were read: the newer version has its own check coming.
    if (this.ctx.documents.get(uri)?.version !== version) return;
    if (!matchesFiles(file, settings.files, this.ctx.folders())) {
      if (this.results.has(uri)) this.close(uri);
      this.verdict(uri, null);
      return;
    }
    this.cancel(uri);
    const run: CheckRun = { controller: new AbortController(), version, measuring: false, publishedInterim: false };
    this.running.set(uri, run);
    const contents = doc.getText();
    const mark = this.inputs.mark();
    let check: StoredCheck | null = null;
    let inputs: string[] = [];
    try {
      if (!this.ctx.trusted()) {
        const result = await staticCheck(file, contents, this.sources);
        inputs = result.inputs;
        check = { version, diagnostics: result.diagnostics, stats: null, summary: null, staticOnly: true, measuring: false };
      } else {
        let finished = false;
        const deadline = setTimeout(
          () =>
            void this.publishInterim(uri, file, contents, run, () => finished).catch((error: unknown) =>
              this.ctx.log(`interim check of ${file} failed: ${describe(error)}`),
            ),
          settings.probeBudgetMs,
        );
        const result = await checkDocument({
          file,
          contents,
          backend: settings.backend,
          budgetMs: settings.probeBudgetMs,
          pool: this.ctx.pools.get(settings.backend, settings.maxRunners),
          signal: run.controller.signal,
          priority: () => (uri === this.active ? 1 : 0),
          sources: this.sources,
        }).finally(() => {
          finished = true;
          clearTimeout(deadline);
        });
        if (result.engineError) this.ctx.log(`check of ${file}: ${result.engineError}`);
        if (result.backend) this.ctx.onBackend(uri, result.backend, result.backendReason, settings);
        else {
          const failed = result.diagnostics.find((d) => d.code === "check-failed" && d.message.includes(BACKEND_SETTING));
          if (failed) this.ctx.onBackendFailed(uri, failed.message, settings);
        }
        inputs = result.inputs;
        if (!result.cancelled)
          check = {
            version,
            diagnostics: result.diagnostics,
            stats: result.stats,
            summary: result.summary,
            staticOnly: false,
            measuring: false,
          };
      }
    } finally {
      if (this.running.get(uri) === run) this.running.delete(uri);
      // Ended, one way or another: no longer measuring (said before the verdict is published).
      this.setMeasuring(run, false);
    }
    // Cancelled, or a newer edit, a close or a trust change since the start: this result is stale.
    if (!check || !this.isCurrent(uri, run)) {
      if (run.publishedInterim)
        this.ctx.log(`check of ${file} (version ${version}) cancelled while measuring: its verdict is not published`);
      const stored = this.results.get(uri);
      if (stored?.measuring && stored.version === version) this.results.set(uri, { ...stored, measuring: false });
      return;
    }
    this.inputs.record(uri, inputs);
    // An imported file changed while this check was bundling: it may have read the old text.
    if (this.inputs.stale(mark, inputs)) {
      this.schedule(uri, 0);
      return;
    }
    this.results.set(uri, check);
    this.trainingDiagnostics.delete(uri);
    // The verdict replaces what an edit showed ahead of it; the status says so first.
    if (this.editedInterim.delete(uri)) this.reportMeasuring();
    this.publish(uri, version);
    this.verdict(uri, check);
  }

  /** Publishes a document's diagnostics (null version: it was closed, clear them). */
  private publish(uri: string, version: number | null): void {
    const path = uriToPath(uri) ?? uri;
    const check = this.results.get(uri);
    const all = [...(check?.diagnostics ?? []), ...(this.trainingDiagnostics.get(uri) ?? [])];
    const data = (d: Diagnostic): DiagnosticData => ({
      ...(d.code === "gradient-noise"
        ? { noiseScale: check?.stats?.gradient.noiseScale ?? null, noiseScaleInterval: jsonInterval(check?.summary) }
        : {}),
      ...(d.episode ? { episode: d.episode } : {}),
      ...(d.episode && d.file !== path ? { environment: uri } : {}),
    });
    const grouped = byUri(all, { uri, path }, data);
    for (const [target, sources] of this.published) if (sources.has(uri) && !grouped.has(target)) grouped.set(target, []);
    for (const [target, list] of grouped) {
      const sources = this.published.get(target) ?? new Map<string, LspDiagnostic[]>();
      if (list.length) sources.set(uri, list);
      else sources.delete(uri);
      if (sources.size) this.published.set(target, sources);
      else this.published.delete(target);
      const diagnostics = [...sources.values()].flat();
      this.ctx.connection.sendDiagnostics(
        target === uri && version !== null ? { uri: target, version, diagnostics } : { uri: target, diagnostics },
      );
    }
  }
}

/** The noise scale's interval as JSON carries it (an unbounded end as null). */
function jsonInterval(summary: RewardSummary | null | undefined): [number, number | null] | null {
  const i = summary?.atEpisodesPerUpdate.noiseScaleInterval;
  return i ? [i[0], Number.isFinite(i[1]) ? i[1] : null] : null;
}

/** The file's text on disk, null when it cannot be read (deleted, or never saved). */
function readDisk(file: string): string | null {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return null;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
