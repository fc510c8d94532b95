import type { JobStatus } from '@org/ws-protocol';
import type { JobClient, JobOutcome, JobResync, JobSubscription } from '../../src/index';

/** One thing a subscription handle told its listeners, in the order it did. */
export type HistoryEvent =
  | { readonly kind: 'update'; readonly epoch: string; readonly seq: number; readonly status: JobStatus }
  | ({ readonly kind: 'resync' } & JobResync);

/** What one handle received: its updates and `resync` signals interleaved, and its outcome. */
export interface RecordedHistory {
  /** The handle. */
  readonly handle: JobSubscription;
  /** Updates and resync signals, in delivery order. */
  readonly events: HistoryEvent[];
  /** The `(epoch, seq)` of every update, as `epoch:seq`. */
  readonly updates: string[];
  /** How the handle ended, once it has. */
  readonly outcome: JobOutcome | undefined;
}

/** Subscribes and records every update and `resync` signal the handle delivers. */
export function recordHistory(client: JobClient, jobId: string): RecordedHistory {
  const events: HistoryEvent[] = [];
  const handle = client.subscribe(jobId, (update) => events.push({ kind: 'update', epoch: update.epoch, seq: update.seq, status: update.status }));
  handle.on('resync', (resync) => events.push({ kind: 'resync', ...resync }));
  return {
    handle,
    events,
    get updates() {
      return events.flatMap((event) => (event.kind === 'update' ? [`${event.epoch}:${event.seq}`] : []));
    },
    get outcome() {
      return handle.outcome;
    },
  };
}

/**
 * Every update a listener got as the continuation of a history it does not belong to: one of another epoch than the
 * updates before it with no `resync` signal for its epoch right before it, or one of the same epoch whose `seq` does
 * not go up. Empty when the listener never saw a stitched history.
 */
export function stitchedUpdates(events: readonly HistoryEvent[]): string[] {
  const stitched: string[] = [];
  let epoch: string | undefined;
  let seq = 0;
  let announced: string | undefined;
  for (const event of events) {
    if (event.kind === 'resync') {
      announced = event.epoch;
      continue;
    }
    const replaced = epoch !== undefined && event.epoch !== epoch;
    if (replaced && announced !== event.epoch) stitched.push(`${event.epoch}:${event.seq} after ${epoch}:${seq} without a resync signal`);
    if (!replaced && event.seq <= seq) stitched.push(`${event.epoch}:${event.seq} after ${epoch}:${seq}`);
    epoch = event.epoch;
    seq = event.seq;
    announced = undefined;
  }
  return stitched;
}
