import { MAX_REPLAY_UPDATES, type JobUpdate } from '@org/ws-protocol';
import { describe, expect, it } from 'vitest';
import { replayForSubscriber, replayWindow } from './replay-window';

const update = (seq: number, epoch = 'e1'): JobUpdate => ({ jobId: 'j', epoch, seq, status: 'running', at: seq });
const history = [1, 2, 3, 4].map((seq) => update(seq));

describe('replayForSubscriber', () => {
  it('leaves the replay as the store made it for a subscriber without an epoch or with the current one', () => {
    const replay = replayWindow(update(4), history, 2);
    expect(replayForSubscriber(replay, undefined)).toBe(replay);
    expect(replayForSubscriber(replay, 'e1')).toBe(replay);
    expect(replay.updates.map((u) => u.seq)).toEqual([3, 4]);
  });

  it('answers a subscriber of another epoch with the snapshot alone, whatever its lastSeq says', () => {
    const newHistory = [1, 2, 3, 4, 5, 6].map((seq) => update(seq, 'e2'));
    expect(replayForSubscriber(replayWindow(update(6, 'e2'), newHistory, 3), 'e1')).toEqual({ snapshot: update(6, 'e2'), updates: [], resync: true });
    expect(replayForSubscriber(replayWindow(update(2, 'e2'), newHistory.slice(0, 2), 3), 'e1')).toEqual({ snapshot: update(2, 'e2'), updates: [], resync: true });
  });

  it('tells a subscriber with an epoch that a job the store no longer holds is gone', () => {
    expect(replayForSubscriber(replayWindow(null, [], 4), 'e1')).toEqual({ snapshot: null, updates: [], resync: true });
    expect(replayForSubscriber(replayWindow(null, [], undefined), 'e1')).toEqual({ snapshot: null, updates: [], resync: true });
  });

  it('keeps "no update yet" for a subscriber that never saw the job', () => {
    expect(replayForSubscriber(replayWindow(null, [], undefined), undefined)).toEqual({ snapshot: null, updates: [], resync: false });
  });

  it('answers more updates than a reply may hold with a resync to the snapshot, with or without an epoch', () => {
    const long = Array.from({ length: MAX_REPLAY_UPDATES + 2 }, (_, index) => update(index + 1));
    const latest = long.at(-1)!;
    for (const epoch of [undefined, 'e1']) {
      expect(replayForSubscriber(replayWindow(latest, long, 1), epoch)).toEqual({ snapshot: latest, updates: [], resync: true });
      expect(replayForSubscriber(replayWindow(latest, long, 2), epoch).updates).toHaveLength(MAX_REPLAY_UPDATES);
    }
  });

  it('answers updates that take more JSON than the budget with a resync to the snapshot, and replays those that fit', () => {
    const replay = replayWindow(update(4), history, 1);
    const chars = replay.updates.reduce((sum, u) => sum + JSON.stringify(u).length, 0);
    expect(replayForSubscriber(replay, 'e1', chars)).toBe(replay);
    expect(replayForSubscriber(replay, 'e1', chars - 1)).toEqual({ snapshot: update(4), updates: [], resync: true });
    // Nothing to replay needs no room: a subscriber that is up to date keeps `resync: false` even with no budget left.
    const upToDate = replayWindow(update(4), history, 4);
    expect(replayForSubscriber(upToDate, 'e1', 0)).toBe(upToDate);
  });

  it('measures the budget in bytes of UTF-8, which text outside ASCII takes more of than characters', () => {
    const wide = [1, 2].map((seq): JobUpdate => ({ ...update(seq), data: { text: '漢'.repeat(100) } }));
    const replay = replayWindow(wide[1]!, wide, 0);
    const chars = replay.updates.reduce((sum, u) => sum + JSON.stringify(u).length, 0);
    const bytes = replay.updates.reduce((sum, u) => sum + Buffer.byteLength(JSON.stringify(u)), 0);
    expect(bytes).toBeGreaterThan(chars);
    expect(replayForSubscriber(replay, 'e1', bytes)).toBe(replay);
    expect(replayForSubscriber(replay, 'e1', chars)).toEqual({ snapshot: wide[1], updates: [], resync: true });
  });
});
