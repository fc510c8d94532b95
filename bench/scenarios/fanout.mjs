// Fan-out: many subscribers of one job, a burst of updates; delivered messages per second and the
// time until the last subscriber has the last update, plus the server's CPU time per delivered
// message (less sensitive to other load on the machine than wall time). Both servers are up at the same time and their
// runs alternate (bare, ours, ours, bare, …), so that a change in machine load hits both alike;
// every run is reported (the table shows the median and the range).
import { withScenarioSession } from '../scenario-session.mjs';

const JOB_ID = 'fanout-0';

/** One burst of `options.updates` updates to every subscriber of `JOB_ID` on one server. */
async function burst(target, { server, clients }, options, blobBytes) {
  await clients.arm(options.updates);
  const cpuBefore = await server.request('cpuMicros');
  const published = await server.request('publish', { jobId: JOB_ID, count: options.updates, bytes: blobBytes });
  const delivery = await clients.collect(options.stepTimeoutMs);
  if (!delivery.complete) throw new Error(`${target}: only ${delivery.received} of ${options.subscribers * options.updates} updates arrived`);
  const cpuMicros = (await server.request('cpuMicros')) - cpuBefore;
  const elapsedMs = delivery.lastAt - published.startedAt;
  return {
    subscribers: options.subscribers,
    updates: options.updates,
    updateBytes: options.updateBytes,
    lastDeliveryMs: elapsedMs,
    messagesPerSecond: delivery.received / (elapsedMs / 1000),
    serverCpuMicrosPerMessage: cpuMicros / delivery.received,
    publishMs: published.endedAt - published.startedAt,
  };
}

/** Opens the subscribers of `target`, then hands the ready session to `next`. */
function withSubscribers(target, options, next) {
  const processes = Math.max(options.fanoutProcesses, Math.ceil(options.subscribers / options.perProcess));
  const targetOptions = { maxConnections: options.subscribers + 100 };
  return withScenarioSession({ target, targetOptions, processes }, async (session) => {
    const batch = await session.clients.open(options.subscribers, { url: session.server.url, concurrency: options.concurrency, jobPrefix: 'fanout-', jobModulo: 1 });
    if (batch.failed > 0) throw new Error(`${target}: ${batch.failed} subscribers failed: ${batch.firstError}`);
    return next(session);
  });
}

/**
 * Measures fan-out of `options.updates` updates to `options.subscribers` subscribers on both servers,
 * `options.fanoutRepeats` bursts each, alternating; resolves every burst of each (one run per burst).
 */
export function runFanout(options) {
  // Pad `data` so that the whole update, as JSON, is about `updateBytes` long.
  const envelope = JSON.stringify({ jobId: JOB_ID, seq: options.updates, status: 'running', progress: 99.5, data: { blob: '' }, at: Date.now() });
  const blobBytes = Math.max(0, options.updateBytes - envelope.length);
  return withSubscribers('bare', options, (bare) =>
    withSubscribers('ours', options, async (ours) => {
      const sessions = { bare, ours };
      const runs = { bare: [], ours: [] };
      for (let run = 0; run < options.fanoutRepeats; run++) {
        for (const target of run % 2 === 0 ? ['bare', 'ours'] : ['ours', 'bare']) runs[target].push(await burst(target, sessions[target], options, blobBytes));
      }
      return runs;
    }),
  );
}
