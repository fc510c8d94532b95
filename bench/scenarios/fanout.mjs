// Fan-out: many subscribers of one job, a burst of updates; delivered messages per second and the
// time until the last subscriber has the last update. Median of several runs.
import { withScenarioSession } from '../scenario-session.mjs';

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Measures fan-out of `options.updates` updates to `options.subscribers` subscribers of one job. */
export function runFanout(target, options) {
  const processes = Math.max(options.fanoutProcesses, Math.ceil(options.subscribers / options.perProcess));
  const targetOptions = { maxConnections: options.subscribers + 100 };
  const jobId = 'fanout-0';
  // Pad `data` so that the whole update, as JSON, is about `updateBytes` long.
  const envelope = JSON.stringify({ jobId, seq: options.updates, status: 'running', progress: 99.5, data: { blob: '' }, at: Date.now() });
  const blobBytes = Math.max(0, options.updateBytes - envelope.length);
  return withScenarioSession({ target, targetOptions, processes }, async ({ server, clients }) => {
    const batch = await clients.open(options.subscribers, { url: server.url, concurrency: options.concurrency, jobPrefix: 'fanout-', jobModulo: 1 });
    if (batch.failed > 0) throw new Error(`${target}: ${batch.failed} subscribers failed: ${batch.firstError}`);
    const runs = [];
    for (let run = 0; run < options.fanoutRepeats; run++) {
      await clients.arm(options.updates);
      const published = await server.request('publish', { jobId, count: options.updates, bytes: blobBytes });
      const delivery = await clients.collect(options.stepTimeoutMs);
      if (!delivery.complete) throw new Error(`${target}: only ${delivery.received} of ${options.subscribers * options.updates} updates arrived`);
      const elapsedMs = delivery.lastAt - published.startedAt;
      runs.push({ elapsedMs, messagesPerSecond: delivery.received / (elapsedMs / 1000), publishMs: published.endedAt - published.startedAt });
    }
    return {
      subscribers: batch.opened,
      updates: options.updates,
      updateBytes: envelope.length + blobBytes,
      messagesPerSecond: median(runs.map((run) => run.messagesPerSecond)),
      lastDeliveryMs: median(runs.map((run) => run.elapsedMs)),
      runs,
    };
  });
}
