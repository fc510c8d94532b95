import type { StatsReply, StatsSample } from '../api-schemas';

/**
 * The samples the page has seen, newest last, across server restarts: a restarted server's monitor starts with
 * an empty history, so the page keeps what it had and notes when the server restarted.
 */
export class StatsHistory {
  #samples: StatsSample[] = [];
  #restarts: number[] = [];
  #serverStartedAt: number | undefined;

  /** Keeps at most `size` samples (the chart's width in samples). */
  constructor(private readonly size: number) {}

  /** Adds the samples of `reply` newer than the ones kept; a new `serverStartedAt` is recorded as a restart. */
  add(reply: StatsReply): void {
    if (this.#serverStartedAt !== undefined && reply.serverStartedAt !== this.#serverStartedAt) this.#restarts.push(reply.serverStartedAt);
    this.#serverStartedAt = reply.serverStartedAt;
    const newest = this.#samples.at(-1)?.at ?? Number.NEGATIVE_INFINITY;
    this.#samples.push(...reply.samples.filter((sample) => sample.at > newest));
    this.#samples.splice(0, Math.max(0, this.#samples.length - this.size));
    const oldest = this.#samples[0]?.at ?? Number.POSITIVE_INFINITY;
    // A restart before every sample kept is no longer on the chart.
    this.#restarts = this.#restarts.filter((at) => at >= oldest);
  }

  /** The samples kept, oldest first. */
  get samples(): readonly StatsSample[] {
    return this.#samples;
  }

  /** When the server restarted (ms since the epoch), for each restart within the samples kept; oldest first. */
  get restarts(): readonly number[] {
    return this.#restarts;
  }
}
