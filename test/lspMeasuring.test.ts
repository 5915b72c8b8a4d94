/**
 * A check whose probe overruns its time budget (design §3): what is certain is published at
 * once for that version and the document is "measuring" (status and hover say so); the
 * complete verdict follows when the probe's sample is done. An edit or a close during the
 * measuring cancels it: the status stops saying so and the old verdict is never published.
 * The fixture's step spends milliseconds of CPU, so its sample takes well over the 50 ms
 * budget set here on any machine.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Diagnostic, PublishDiagnosticsParams } from "vscode-languageserver-protocol/node";
import { type StatusParams } from "../server/src/protocol";
import { StatusNotification } from "../server/src/lspMethods";
import { lineOf } from "./helpers";
import { LspSession } from "./lspSession";

const codes = (ds: Diagnostic[]) => ds.map((d) => d.code).sort();

describe("language server: a probe that overruns its budget", { timeout: 180_000 }, () => {
  let lsp: LspSession;
  before(async () => {
    lsp = await LspSession.start();
    lsp.configure({ probeBudgetMs: 50 });
  });
  after(async () => {
    await lsp.dispose();
  });

  /**
   * What a client saw of `uri`, in order: "measuring" and "not measuring" when the status
   * changes its mind about it, each publish as "interim"/"final" with its version and codes,
   * and "cancelled" when the server says a measuring check of it ended without a verdict.
   */
  function story(uri: string): string[] {
    const name = path.basename(new URL(uri).pathname);
    const seen: string[] = [];
    let measuring = false;
    for (const { method, params } of lsp.events) {
      if (method === StatusNotification.type.method) {
        const now = ((params as StatusParams).measuring ?? []).includes(uri);
        if (now !== measuring) seen.push(now ? "measuring" : "not measuring");
        measuring = now;
      } else if (method === "textDocument/publishDiagnostics") {
        const p = params as PublishDiagnosticsParams;
        if (p.uri === uri) seen.push(`${lsp.isInterim(p) ? "interim" : "final"} v${p.version ?? "-"} [${codes(p.diagnostics).join(",")}]`);
      } else if (method === "window/logMessage") {
        if ((params as { message: string }).message.includes(`${name} (version`)) seen.push("cancelled");
      }
    }
    return seen;
  }

  const cancelledLogged = (uri: string) => () => story(uri).includes("cancelled");

  it("publishes what is certain first, says measuring, then publishes the complete verdict", async () => {
    const uri = lsp.open(lsp.copyFixture("slow-step.rl.ts"));
    const interim = () => lsp.diagnostics.find((p) => p.uri === uri && p.version === 1 && lsp.isInterim(p));
    await lsp.waitFor("the interim diagnostics of v1", () => interim() !== undefined, 60_000);

    // Asked between the two publishes, the hover says measuring; answered after the verdict
    // arrived (a fast machine), it has the numbers. Either way it matches what was published.
    const text = lsp.text(uri);
    const line = lineOf(text, "step(action");
    const hover = await lsp.hover(uri, line, text.split("\n")[line].indexOf("step") + 1);
    const verdictArrived = lsp.diagnostics.some((p) => p.uri === uri && !lsp.isInterim(p));
    const value = (hover?.contents as { value: string }).value;
    assert.match(value, verdictArrived ? /Reward, as the probe saw it/ : /^\*\*Reward statistics\*\*: measuring…/);

    const complete = await lsp.diagnosticsFor(uri, 1, 60_000);
    assert.ok(codes(complete).includes("baseline-recommended"), `the verdict: ${codes(complete).join(", ")}`);
    assert.deepEqual(story(uri), ["measuring", "interim v1 []", "not measuring", `final v1 [${codes(complete).join(",")}]`]);
    for (const d of interim()!.diagnostics)
      assert.ok(
        complete.some((c) => JSON.stringify(c) === JSON.stringify(d)),
        `the interim ${d.code} is not in the verdict`,
      );
    assert.equal(lsp.measuring.has(uri), false);
    const after = await lsp.hover(uri, line, text.split("\n")[line].indexOf("step") + 1);
    assert.match((after?.contents as { value: string }).value, /Reward, as the probe saw it/);
  });

  it("an edit while measuring cancels it: the status stops measuring and the old verdict is never published", async () => {
    const uri = lsp.open(lsp.copyFixture("slow-step.rl.ts", "edited-while-measuring.rl.ts"));
    await lsp.waitFor("v1 measuring", () => lsp.measuring.has(uri), 60_000);
    const v2 = lsp.change(uri, lsp.text(uri).replace('baseline: "none"', 'baseline: "mean"'));
    await lsp.waitFor("the v1 check's end", cancelledLogged(uri), 60_000);
    const complete = await lsp.diagnosticsFor(uri, v2, 60_000);
    assert.ok(!codes(complete).includes("baseline-recommended"), "with the mean baseline there is nothing to recommend");

    // The v1 check ends (says so) when its runner has stopped, which may be after v2's check began.
    const seen = story(uri);
    assert.ok(seen.indexOf("cancelled") > seen.indexOf("not measuring"), seen.join(" → "));
    // v2 overran its budget too: the same story, ending with its verdict; no verdict of v1 in between.
    assert.deepEqual(
      seen.filter((e) => e !== "cancelled"),
      [
        "measuring",
        "interim v1 []",
        "not measuring",
        "measuring",
        `interim v${v2} []`,
        "not measuring",
        `final v${v2} [${codes(complete).join(",")}]`,
      ],
    );
  });

  it("a close while measuring cancels it: the status stops measuring and the diagnostics are cleared", async () => {
    const uri = lsp.open(lsp.copyFixture("slow-step.rl.ts", "closed-while-measuring.rl.ts"));
    await lsp.waitFor("v1 measuring", () => lsp.measuring.has(uri), 60_000);
    lsp.close(uri);
    await lsp.waitFor("the v1 check's end", cancelledLogged(uri), 60_000);
    assert.deepEqual(story(uri), ["measuring", "interim v1 []", "not measuring", "final v- []", "cancelled"]);
  });
});
