/**
 * Diagnostics as you type: each watched document is checked on open and, debounced, on
 * change, on its unsaved contents. A newer edit aborts the running probe; a result is
 * published only if its document is still at the version that was checked. A probe that
 * has not finished `probeBudgetMs` after the check started does not hold back what is
 * certain: the transpile errors of that version are published at once and the document is
 * "measuring" (status and hover say so) until the complete verdict replaces them. Diagnostics
 * placed in imported files go to those files' URIs (merged over every document that
 * imports them); training failures are published beside the check's own.
 */
import type { Connection, Diagnostic as LspDiagnostic, TextDocuments } from "vscode-languageserver";
import type { TextDocument } from "vscode-languageserver-textdocument";
import type { BackendName, Diagnostic, ProbeStats, RewardSummary } from "../protocol";
import { checkDocument, staticCheck, transpileCheck, type RunnerPools } from "./engine";
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
  /** The backend a check ran on, why (the engine's words), and the settings that chose it. */
  onBackend(backend: BackendName, reason: string | null, settings: ServerSettings): void;
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

  constructor(private readonly ctx: CheckContext) {}

  /** Check `uri` after `delayMs` of quiet; an edit in between restarts the wait and aborts a running probe. */
  schedule(uri: string, delayMs: number): void {
    clearTimeout(this.timers.get(uri));
    this.cancel(uri);
    this.timers.set(
      uri,
      setTimeout(() => {
        this.timers.delete(uri);
        void this.run(uri).catch((error: unknown) => this.ctx.log(`check of ${uri} failed: ${describe(error)}`));
      }, delayMs),
    );
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
    this.publish(uri, null);
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
    this.ctx.onMeasuring([...this.running].filter(([, r]) => r.measuring).map(([uri]) => uri));
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
    const diagnostics = await transpileCheck(file, contents);
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
      return;
    }
    this.cancel(uri);
    const run: CheckRun = { controller: new AbortController(), version, measuring: false, publishedInterim: false };
    this.running.set(uri, run);
    const contents = doc.getText();
    let check: StoredCheck | null = null;
    try {
      if (!this.ctx.trusted()) {
        const diagnostics = await staticCheck(file, contents);
        check = { version, diagnostics, stats: null, summary: null, staticOnly: true, measuring: false };
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
          pool: this.ctx.pools.get(settings.backend),
          signal: run.controller.signal,
        }).finally(() => {
          finished = true;
          clearTimeout(deadline);
        });
        if (result.engineError) this.ctx.log(`check of ${file}: ${result.engineError}`);
        if (result.backend) this.ctx.onBackend(result.backend, result.backendReason, settings);
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
    this.results.set(uri, check);
    this.trainingDiagnostics.delete(uri);
    this.publish(uri, version);
  }

  /** Publishes a document's diagnostics (null version: it was closed, clear them). */
  private publish(uri: string, version: number | null): void {
    const path = uriToPath(uri) ?? uri;
    const check = this.results.get(uri);
    const all = [...(check?.diagnostics ?? []), ...(this.trainingDiagnostics.get(uri) ?? [])];
    const data = (d: Diagnostic): DiagnosticData =>
      d.code === "gradient-noise"
        ? { noiseScale: check?.stats?.gradient.noiseScale ?? null, noiseScaleInterval: jsonInterval(check?.summary) }
        : {};
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

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
