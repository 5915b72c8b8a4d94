/** A training whose file scheduled a callback that never returns ends with the diagnostic, a summary and exit 1. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cli, fixture, lineOf } from "./helpers";

test("train: a timer that never returns ends the training with the diagnostic, a summary and exit 1", { timeout: 90_000 }, () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "rl-callbacks-"));
  try {
    const r = cli(
      ["train", fixture("loop-in-timer.rl.ts"), "--episodes", "40", "--backend", "wasm", "--json", "--out", path.join(out, "run")],
      60_000,
    );
    assert.equal(r.status, 1, r.stderr);
    const lines = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; code?: string; reason?: string });
    assert.equal(
      lines
        .filter((l) => l.type === "diagnostic")
        .map((l) => l.code)
        .join(),
      "user-code-timeout",
    );
    const last = lines.at(-1);
    assert.equal(last?.type, "summary");
    assert.equal(last?.reason, "error");
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
