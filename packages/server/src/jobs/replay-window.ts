import { MAX_REPLAY_UPDATES, type JobUpdate } from '@org/ws-protocol';
import type { JobReplay } from './job-store';

/**
 * What a subscriber with `lastSeq` gets from a snapshot and the recent updates a store kept (oldest first):
 * the updates after `lastSeq`, or `resync` when they are no longer all there. Shared by every `JobStore`.
 */
export function replayWindow(snapshot: JobUpdate | null, buffer: readonly JobUpdate[], lastSeq: number | undefined): JobReplay {
  if (!snapshot) return { snapshot: null, updates: [], resync: lastSeq !== undefined && lastSeq > 0 };
  if (lastSeq === undefined || lastSeq === snapshot.seq) return { snapshot, updates: [], resync: false };
  const oldest = buffer[0]?.seq ?? snapshot.seq;
  // A lastSeq ahead of the snapshot means the client saw an earlier life of this job id.
  if (lastSeq > snapshot.seq || lastSeq + 1 < oldest) return { snapshot, updates: [], resync: true };
  return { snapshot, updates: buffer.filter((update) => update.seq > lastSeq), resync: false };
}

/** Whether `updates`, encoded as JSON, take at most `maxBytes` bytes of UTF-8 (counted until they pass it). */
function fitsIn(updates: readonly JobUpdate[], maxBytes: number): boolean {
  let bytes = 0;
  for (const update of updates) {
    bytes += Buffer.byteLength(JSON.stringify(update));
    if (bytes > maxBytes) return false;
  }
  return true;
}

/**
 * The rules on top of any store's replay, for a subscriber that holds `epoch`: a snapshot of another epoch is a new
 * history (resync with the snapshot, no updates, whatever `seq` says), and no job at all means the job is gone for it
 * (resync with no snapshot). More updates than a reply may hold (`MAX_REPLAY_UPDATES`, a store kept more than that), or
 * updates that take more than `maxUpdateBytes` of JSON (what the connection can be sent before it counts as behind), are
 * answered with a resync to the snapshot, as updates no longer held are: every update is a full state, so the snapshot
 * is the newest of them. Otherwise the replay stands as the store made it.
 */
export function replayForSubscriber(replay: JobReplay, epoch: string | undefined, maxUpdateBytes = Number.POSITIVE_INFINITY): JobReplay {
  if (epoch !== undefined && replay.snapshot?.epoch !== epoch) return { snapshot: replay.snapshot, updates: [], resync: true };
  if (replay.updates.length > MAX_REPLAY_UPDATES || !fitsIn(replay.updates, maxUpdateBytes)) return { snapshot: replay.snapshot, updates: [], resync: true };
  return replay;
}
