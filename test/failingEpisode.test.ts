/**
 * A failure found while sampling carries the episode that leads to it, shrunk by delta
 * debugging to a 1-minimal sequence. The fixture's step throws once an episode's last seven
 * actions are 1, 0, 1, 1, 0, 0, 1 (episodes of 40 steps, a random policy): the only 1-minimal
 * failing sequence is those seven actions (any shorter one lacks the pattern; any with an extra
 * action either breaks it or can lose that action), and replaying it reproduces the throw.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { loadInProcess } from "../bench/harness";
import { checkEnvironment } from "../server/src/api";
import { describeEnvironment } from "../server/src/rl/envSpec";
import { replayActions } from "../server/src/rl/failingEpisode";
import { fixture, lineOf } from "./helpers";

const FILE = fixture("throw-after-pattern.rl.ts");

test("the failing episode is the seven-action pattern, from the copy's seed, placed on the throwing line", async () => {
  const r = await checkEnvironment(FILE, { backend: "cpu" });
  assert.deepEqual(
    r.diagnostics.map((d) => [d.code, d.range.start.line]),
    [["user-code-threw", lineOf(fs.readFileSync(FILE, "utf8"), "MARK: throw")]],
  );
  const episode = r.diagnostics[0].episode;
  assert.ok(episode, "the diagnostic carries the episode");
  assert.deepEqual(episode.actions, [1, 0, 1, 1, 0, 0, 1]);
  assert.ok(episode.shrunkFrom >= 7);
  assert.match(r.diagnostics[0].message, new RegExp(`reset\\(seed=${episode.seed}\\), then the actions \\[1,0,1,1,0,0,1\\]`));

  // Replaying it reproduces the throw; dropping any one action does not.
  const { user } = await loadInProcess(FILE, "cpu");
  const spec = describeEnvironment(user.create());
  const failure = replayActions(user, spec, episode.seed, episode.actions);
  assert.equal(failure?.code, "user-code-threw");
  assert.match(failure?.message ?? "", /the pattern came up/);
  for (let k = 0; k < episode.actions.length; k++)
    assert.equal(
      replayActions(
        user,
        spec,
        episode.seed,
        episode.actions.filter((_, j) => j !== k),
      ),
      null,
      `without action ${k}`,
    );
});
