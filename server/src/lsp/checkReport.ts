/** A check's verdict in one line: what was checked and what was found, for an explicit "Check". */
import type { CheckReport } from "../protocol";
import type { StoredCheck } from "./documentChecks";

export function checkReport(uri: string, check: StoredCheck): CheckReport {
  const count = (...severities: string[]) => check.diagnostics.filter((d) => severities.includes(d.severity)).length;
  const errors = count("error");
  const warnings = count("warning");
  const notes = count("information", "hint");
  const stats = check.stats;
  const episodes = stats?.episodes ?? null;
  const snr = stats?.atEpisodesPerUpdate.snr ?? null;
  const episodesPerUpdate = stats?.atEpisodesPerUpdate.episodes ?? null;
  const found = [plural(errors, "error"), plural(warnings, "warning"), plural(notes, "note")].filter(Boolean);
  const parts = [found.length ? found.join(", ") : "no problems"];
  if (check.staticOnly) parts.push("static checks only (the workspace is not trusted, so no code ran)");
  else if (episodes === null) parts.push("the probe did not run (the errors come first)");
  else {
    parts.push(`${episodes} episodes`);
    if (episodesPerUpdate !== null)
      parts.push(`SNR ${snr === null ? "undefined" : formatSnr(snr)} at ${episodesPerUpdate} episodes/update`);
  }
  return {
    uri,
    version: check.version,
    errors,
    warnings,
    notes,
    episodes,
    snr,
    episodesPerUpdate,
    staticOnly: check.staticOnly,
    summary: parts.join(" · "),
  };
}

function plural(n: number, word: string): string {
  return n === 0 ? "" : `${n} ${word}${n === 1 ? "" : "s"}`;
}

function formatSnr(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : Number(x.toPrecision(2)).toString();
}
