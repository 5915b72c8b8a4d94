/**
 * The CLI's progress bar for a training, toward what the run is for: the mean return of
 * the last 100 episodes against the environment's `rewardThreshold` when it has one (from
 * the first update's mean, 0 %, to the threshold, 100 %), else the episode budget. Beside
 * it: the steps per second of the last second of training (not an average since the start).
 * Heartbeats inside a slow update move the steps per second (and start the bar), so a slow
 * environment does not look like a hang.
 */
import cliProgress from "cli-progress";
import type { UpdateMetrics } from "./protocol";
import type { TrainingHeartbeat } from "./rl/train";

/** Steps/s is measured over at least this much training time. */
const RATE_WINDOW_S = 1;

export class TrainingBar {
  private readonly bar: cliProgress.SingleBar;
  private started = false;
  private threshold: number | null = null;
  private firstMean: number | null = null;
  private readonly history: { seconds: number; envSteps: number }[] = [];
  backend = "";

  constructor(stream: NodeJS.WritableStream) {
    this.bar = new cliProgress.SingleBar(
      { format: "{bar} {goal} | {sps} steps/s | {backend}", hideCursor: true, stream, barsize: 30 },
      cliProgress.Presets.shades_classic,
    );
  }

  /** The environment's solve threshold, when known before the first update. */
  setThreshold(threshold: number | null): void {
    this.threshold = threshold;
  }

  update(m: UpdateMetrics): void {
    this.firstMean ??= m.meanReturn100;
    const { value, total, goal } = this.goal(m);
    const payload = { goal, sps: this.stepsPerSecond(m).toLocaleString("en-US"), backend: this.backend };
    if (!this.started) {
      this.bar.start(total, value, payload);
      this.started = true;
    } else {
      this.bar.setTotal(total);
      this.bar.update(value, payload);
    }
  }

  /** An update under way: its mean return is not known yet, the step count is. */
  heartbeat(h: TrainingHeartbeat): void {
    const payload = { sps: this.stepsPerSecond(h).toLocaleString("en-US"), backend: this.backend };
    if (this.started) {
      this.bar.update(payload);
      return;
    }
    const byEpisodes = this.threshold === null;
    const goal = `episode ${h.episodes}/${h.episodeBudget} | update ${h.update} under way`;
    this.bar.start(byEpisodes ? h.episodeBudget : 1000, byEpisodes ? h.episodes : 0, { ...payload, goal });
    this.started = true;
  }

  stop(): void {
    if (this.started) this.bar.stop();
  }

  private goal(m: UpdateMetrics): { value: number; total: number; goal: string } {
    const episodes = `episode ${m.episodes}/${m.episodeBudget}`;
    if (this.threshold === null)
      return { value: m.episodes, total: m.episodeBudget, goal: `${episodes} | mean return ${m.meanReturn100.toFixed(1)}` };
    const from = Math.min(this.firstMean ?? 0, this.threshold);
    const span = this.threshold - from;
    const fraction = span > 0 ? Math.min(1, Math.max(0, (m.meanReturn100 - from) / span)) : 1;
    return {
      value: Math.round(fraction * 1000),
      total: 1000,
      goal: `mean return ${m.meanReturn100.toFixed(1)} of ${this.threshold} to solve | ${episodes}`,
    };
  }

  /** Steps per second over the last RATE_WINDOW_S of training time. */
  private stepsPerSecond(m: { seconds: number; envSteps: number }): number {
    this.history.push({ seconds: m.seconds, envSteps: m.envSteps });
    while (this.history.length > 2 && m.seconds - this.history[1].seconds >= RATE_WINDOW_S) this.history.shift();
    const first = this.history[0];
    const dt = m.seconds - first.seconds;
    if (this.history.length < 2 || dt <= 0) return Math.round(m.envSteps / Math.max(m.seconds, 1e-9));
    return Math.round((m.envSteps - first.envSteps) / dt);
  }
}
