/**
 * A failure during training (not only the probe's) carries the episode that leads to it, shrunk
 * by delta debugging: the runner records each environment's actions since its seeded reset and
 * shrinks the failing one's history.
 *
 * The later-episode fixture throws when an episode after the environment's first opens with 1, 1,
 * and action 0 ends an episode. Training meets it in a copy's second episode or later, so the
 * history spans episodes, and the failing episode alone, replayed from the seeded reset, does not
 * fail (it would be the first episode again). The only 1-minimal failing sequence is [0, 1, 1]:
 * a first episode must end, by an action 0 (any other action before that 0 could be removed) or
 * after 200 steps (which a uniform policy over three actions all but never takes), and the next
 * must open with the two 1s.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { loadInProcess } from "../bench/harness";
import { replayFailingEpisode, trainEnvironment } from "../server/src/api";
import { describeEnvironment } from "../server/src/rl/envSpec";
import { replayActions } from "../server/src/rl/failingEpisode";
import { fixture, lineOf } from "./helpers";

const SETTINGS = { episodesPerUpdate: 8, maxEpisodes: 4000, seed: 5 };

async function failingTraining(name: string) {
  const file = fixture(name);
  const r = await trainEnvironment(file, { backend: "cpu", settings: SETTINGS });
  assert.equal(r.reason, "error");
  assert.deepEqual(
    r.diagnostics.map((d) => [d.code, d.range.start.line]),
    [["user-code-threw", lineOf(fs.readFileSync(file, "utf8"), "MARK: throw")]],
  );
  const episode = r.diagnostics[0].episode;
  assert.ok(episode, "the training's diagnostic carries the episode");
  // The seed of one of the training's copies: settings.seed + i.
  assert.ok(episode.seed >= SETTINGS.seed && episode.seed < SETTINGS.seed + SETTINGS.episodesPerUpdate, `seed ${episode.seed}`);
  return { file, episode, message: r.diagnostics[0].message };
}

/** The episode fails, and none with one action fewer does: replayed in this process, apart from the shrinking. */
async function assertOneMinimal(file: string, episode: { seed: number; actions: unknown[] }) {
  const { user } = await loadInProcess(file, "cpu");
  const spec = describeEnvironment(user.create());
  assert.equal(replayActions(user, spec, episode.seed, episode.actions)?.code, "user-code-threw");
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
}

test("a throw in a later episode of training carries the 1-minimal [0, 1, 1] from the copy's seed", async () => {
  const { file, episode, message } = await failingTraining("throw-in-later-episode.rl.ts");
  assert.deepEqual(episode.actions, [0, 1, 1]);
  assert.ok(episode.shrunkFrom > 3, `shrunk from ${episode.shrunkFrom}`);
  assert.match(message, new RegExp(`reset\\(seed=${episode.seed}\\), then the actions \\[0,1,1\\]`));
  await assertOneMinimal(file, episode);
  // "Replay failing episode" (a runner) reproduces it: two steps complete, the third throws.
  const replay = await replayFailingEpisode(file, { episode, backend: "cpu" });
  assert.equal(replay.steps.length, 2);
  assert.equal(replay.diagnostic?.code, "user-code-threw");
});

test("a throw in training after a seven-action pattern carries the pattern", async () => {
  const { file, episode } = await failingTraining("throw-after-pattern.rl.ts");
  assert.deepEqual(episode.actions, [1, 0, 1, 1, 0, 0, 1]);
  await assertOneMinimal(file, episode);
});
