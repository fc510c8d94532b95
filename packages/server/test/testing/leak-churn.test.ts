import { describe, expect, it } from 'vitest';
import { createJobServer } from '../../src/index';
import { JobServerLeakError, runLeakChurn, startTestJobServer, TestKitOptionError } from '../../src/testing/index';
import { installLeakCheck, ZERO_STATS } from '../support/leak-check';

installLeakCheck();

describe('runLeakChurn', () => {
  it('runs warm-up and measured rounds, each drained to zero, and returns the heap trend of the measured ones', { timeout: 60_000 }, async () => {
    await using server = await startTestJobServer();
    const result = await runLeakChurn(server, { warmupRounds: 1, rounds: 3, clientsPerRound: 12, jobsPerRound: 3 });

    expect(result.rounds.map(({ round, warmup }) => ({ round, warmup }))).toEqual([
      { round: 0, warmup: true },
      { round: 1, warmup: false },
      { round: 2, warmup: false },
      { round: 3, warmup: false },
    ]);
    for (const round of result.rounds) {
      expect(round.stats).toEqual({ ...ZERO_STATS, timers: 2 });
      expect(round.heapUsedBytes).toBeGreaterThan(0);
    }
    const heaps = result.rounds.slice(1).map((round) => round.heapUsedBytes);
    expect(result.heapGrowth).toBeCloseTo(heaps[2]! / heaps[0]! - 1, 10);
    expect(Number.isFinite(result.heapSlopeBytesPerRound)).toBe(true);
    expect(result.gcForced).toBe(typeof globalThis.gc === 'function');
    expect(server.counters()).toMatchObject({ refusedConnections: 0, internalErrors: 0 });
  });

  it('finds the address of a server it did not start, and stops at the first round that leaves something behind', { timeout: 30_000 }, async () => {
    // Finished jobs stay 5 minutes by default: after a round, the job registry is not back to zero.
    await using server = createJobServer({ limits: { maxConnectionsPerIp: 1000 } });
    await server.listen();
    const error = await runLeakChurn(server, { rounds: 2, warmupRounds: 0, clientsPerRound: 4, jobsPerRound: 2, timeoutMs: 300 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(JobServerLeakError);
    expect((error as JobServerLeakError).message).toMatch(/: jobs 2$/);
    // What the options allow is not a leak.
    const allowed = await runLeakChurn(server, { rounds: 2, warmupRounds: 0, clientsPerRound: 4, jobsPerRound: 2, allow: { jobs: 100 } });
    expect(allowed.rounds.map((round) => round.stats.jobs)).toEqual([4, 6]);
  });

  it('refuses fewer than two measured rounds, since a trend needs two points', async () => {
    await using server = await startTestJobServer();
    await expect(runLeakChurn(server, { rounds: 1 })).rejects.toThrow(new TestKitOptionError('rounds', 'must be a whole number from 2 up (got 1)'));
  });
});
