// Overload: the server's heap is pushed past a threshold (ballast allocated in the server process) while
// subscribers watch a job. Ours sheds load (`limits.overload.heapUsedBytes`): new connections are refused
// with `OVERLOADED`, existing subscribers keep receiving, and it accepts again once memory falls back.
// Bare Socket.IO has no such rule and accepts everything. Both run one after the other.
import { startLoadClients } from '../load-clients.mjs';
import { withScenarioSession } from '../scenario-session.mjs';

const MIB = 2 ** 20;
const JOB_ID = 'overload-0';
/** How often the server under test compares its heap with the threshold. */
const CHECK_EVERY_MS = 250;

/** Polls the server's health until `done(health)` or the step timeout; resolves the milliseconds it took. */
async function waitForHealth(server, done, timeoutMs) {
  const startedAt = Date.now();
  while (!done(await server.request('health'))) {
    if (Date.now() - startedAt > timeoutMs) throw new Error(`health did not change within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return Date.now() - startedAt;
}

/** One run against `target`. */
function measureTarget(target, options) {
  const thresholdBytes = options.overloadHeapMib * MIB;
  const targetOptions = { maxConnections: options.overloadSubscribers + 2 * options.overloadNewcomers + 100, overloadHeapUsedBytes: thresholdBytes, tickMs: CHECK_EVERY_MS };
  return withScenarioSession({ target, targetOptions, processes: 1 }, async ({ server, clients: existing }) => {
    const newcomers = await startLoadClients(1);
    try {
      const url = server.url;
      const subscribed = await existing.open(options.overloadSubscribers, { url, concurrency: 50, jobPrefix: 'overload-', jobModulo: 1 });
      if (subscribed.failed > 0) throw new Error(`${target}: ${subscribed.failed} subscribers failed: ${subscribed.firstError}`);
      const before = await server.request('measure');
      const heapWithBallast = await server.request('addBallast', { bytes: thresholdBytes - before.heapUsed + options.overloadHeapMib * MIB });
      const hasHealth = (await server.request('health')) !== null;
      const sheddingAfterMs = hasHealth ? await waitForHealth(server, (health) => health.status === 'degraded', options.stepTimeoutMs) : null;

      const whileOverloaded = await newcomers.open(options.overloadNewcomers, { url, concurrency: 50, jobPrefix: 'overload-new-' });
      await existing.arm(options.overloadUpdates);
      await server.request('publish', { jobId: JOB_ID, count: options.overloadUpdates, bytes: 200, paced: true });
      const delivery = await existing.collect(options.stepTimeoutMs);
      await newcomers.closeAll();

      const droppedAt = Date.now();
      await server.request('dropBallast');
      const recoveredAfterMs = hasHealth ? (await waitForHealth(server, (health) => health.status === 'ok', options.stepTimeoutMs), Date.now() - droppedAt) : null;
      const afterRecovery = await newcomers.open(options.overloadNewcomers, { url, concurrency: 50, jobPrefix: 'overload-again-' });
      await newcomers.closeAll();
      return {
        thresholdBytes,
        heapWithBallast,
        subscribers: options.overloadSubscribers,
        newcomers: options.overloadNewcomers,
        sheddingAfterMs,
        refusedWhileOverloaded: whileOverloaded.failed,
        refusedByCode: whileOverloaded.failuresByCode,
        acceptedWhileOverloaded: whileOverloaded.opened,
        existingDeliveryComplete: delivery.complete,
        existingReceived: delivery.received,
        recoveredAfterMs,
        acceptedAfterRecovery: afterRecovery.opened,
        refusedAfterRecovery: afterRecovery.failed,
        // The server answered every request above and is still serving: it survived.
        survived: (await server.request('measure')).connections === options.overloadSubscribers,
      };
    } finally {
      await newcomers.stop();
    }
  });
}

/** Overload on both servers, `order` saying which runs first. */
export async function runOverload(options, { order }) {
  const results = {};
  for (const target of order) results[target] = await measureTarget(target, options);
  return results;
}
