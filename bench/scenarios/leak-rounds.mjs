// Leak rounds: connect → subscribe → receive → disconnect, again and again; the server's heap after
// GC at the end of each round, and the size of every registry once the round is over.
import { leastSquaresSlope } from '@org/ws-server/testing';
import { withScenarioSession } from '../scenario-session.mjs';

/**
 * Runs `options.warmupRounds` + `options.rounds` rounds of `options.roundSize` connections against
 * `target`; growth compares the last measured round with the first one after the warm-up.
 */
function runRounds(target, options) {
  const processes = Math.ceil(options.roundSize / options.perProcess);
  // Finished jobs are not retained, so that the job registry can drain every round.
  const targetOptions = { maxConnections: options.roundSize + 100, finishedJobRetentionMs: 0 };
  return withScenarioSession({ target, targetOptions, processes }, async ({ server, clients }) => {
    const rounds = [];
    for (let round = 0; round < options.warmupRounds + options.rounds; round++) {
      const jobPrefix = `leak-r${round}-`;
      const batch = await clients.open(options.roundSize, { url: server.url, concurrency: options.concurrency, jobPrefix, jobModulo: options.roundJobs });
      if (batch.failed > 0) throw new Error(`${target} round ${round}: ${batch.failed} connections failed: ${batch.firstError}`);
      await clients.arm(1);
      for (let job = 0; job < options.roundJobs; job++) {
        await server.request('publish', { jobId: `${jobPrefix}${job}`, count: 1, bytes: 16, finalStatus: 'completed' });
      }
      const delivery = await clients.collect(options.stepTimeoutMs);
      if (!delivery.complete) throw new Error(`${target} round ${round}: ${delivery.received} of ${batch.opened} updates arrived`);
      await clients.closeAll();
      const drained = await server.request('waitIdle', { timeoutMs: options.stepTimeoutMs });
      const measured = await server.request('measure');
      const warmup = round < options.warmupRounds;
      rounds.push({ warmup, heapUsed: measured.heapUsed, heapSpaces: measured.heapSpaces, resources: measured.resources, rss: measured.rss, drained: drained.idle, registries: measured.registries });
    }
    const heaps = rounds.filter((round) => !round.warmup).map((round) => round.heapUsed);
    const [first, last] = [heaps[0], heaps.at(-1)];
    const veryFirst = rounds[0].heapUsed;
    return {
      rounds,
      heapGrowth: (last - first) / first,
      heapGrowthWithWarmup: (last - veryFirst) / veryFirst,
      heapGrowthBytes: last - first,
      heapSlopeBytesPerRound: leastSquaresSlope(heaps),
      allDrained: rounds.every((round) => round.drained),
    };
  });
}

/** Leak rounds on one server, then on the other, in `order`. */
export async function runLeakRounds(options, { order }) {
  const results = {};
  for (const target of order) results[target] = await runRounds(target, options);
  return results;
}
