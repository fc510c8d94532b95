import type { JobUpdate } from '@org/ws-protocol';
import { describe, expect, it } from 'vitest';
import { replayForEpoch, replayWindow } from './replay-window';

const update = (seq: number, epoch = 'e1'): JobUpdate => ({ jobId: 'j', epoch, seq, status: 'running', at: seq });
const history = [1, 2, 3, 4].map((seq) => update(seq));

describe('replayForEpoch', () => {
  it('leaves the replay as the store made it for a subscriber without an epoch or with the current one', () => {
    const replay = replayWindow(update(4), history, 2);
    expect(replayForEpoch(replay, undefined)).toBe(replay);
    expect(replayForEpoch(replay, 'e1')).toBe(replay);
    expect(replay.updates.map((u) => u.seq)).toEqual([3, 4]);
  });

  it('answers a subscriber of another epoch with the snapshot alone, whatever its lastSeq says', () => {
    const newHistory = [1, 2, 3, 4, 5, 6].map((seq) => update(seq, 'e2'));
    expect(replayForEpoch(replayWindow(update(6, 'e2'), newHistory, 3), 'e1')).toEqual({ snapshot: update(6, 'e2'), updates: [], resync: true });
    expect(replayForEpoch(replayWindow(update(2, 'e2'), newHistory.slice(0, 2), 3), 'e1')).toEqual({ snapshot: update(2, 'e2'), updates: [], resync: true });
  });

  it('tells a subscriber with an epoch that a job the store no longer holds is gone', () => {
    expect(replayForEpoch(replayWindow(null, [], 4), 'e1')).toEqual({ snapshot: null, updates: [], resync: true });
    expect(replayForEpoch(replayWindow(null, [], undefined), 'e1')).toEqual({ snapshot: null, updates: [], resync: true });
  });

  it('keeps "no update yet" for a subscriber that never saw the job', () => {
    expect(replayForEpoch(replayWindow(null, [], undefined), undefined)).toEqual({ snapshot: null, updates: [], resync: false });
  });
});
