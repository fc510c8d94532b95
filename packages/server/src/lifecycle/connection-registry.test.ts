import type { JobUpdate } from '@org/ws-protocol';
import { describe, expect, it } from 'vitest';
import { ConnectionRegistry } from './connection-registry';

function update(seq: number): JobUpdate {
  return { jobId: 'job-1', epoch: 'e1', seq, status: 'running', at: seq };
}

describe('ConnectionRegistry.conflate', () => {
  it('never changes a held update, which one broadcast shares among the connections behind', () => {
    const registry = new ConnectionRegistry(0);
    const newer = update(2);
    registry.conflate('a', newer);
    registry.conflate('b', newer);
    // An older update of the same history arrives late for `a` only.
    expect(registry.conflate('a', update(1))).toBe(true);
    expect(newer).toEqual(update(2));
    expect(registry.takeConflated('a')).toEqual([{ ...update(2), conflated: true }]);
    expect(registry.takeConflated('b')).toEqual([update(2)]);
  });
});
