// Capacity: heap and RSS per idle subscribed connection (after GC on the server), connections per
// second while opening them with bounded concurrency, and handles held at 0 and at N connections.
import { withScenarioSession } from '../scenario-session.mjs';

/** Opens `options.connections` subscribed connections to `target` and measures the server. */
function measureCapacity(target, options) {
  const processes = Math.ceil(options.connections / options.perProcess);
  const targetOptions = { maxConnections: options.connections + 100 };
  return withScenarioSession({ target, targetOptions, processes }, async ({ server, clients }) => {
    const empty = await server.request('measure');
    const batch = await clients.open(options.connections, {
      url: server.url,
      concurrency: options.concurrency,
      jobPrefix: 'capacity-',
      distinctJobsPerProcess: true,
    });
    if (batch.failed > 0) throw new Error(`${target}: ${batch.failed} connections failed: ${batch.firstError}`);
    const loaded = await server.request('measure');
    if (loaded.connections !== batch.opened) throw new Error(`${target}: server sees ${loaded.connections} of ${batch.opened} connections`);
    await clients.closeAll();
    const drained = await server.request('waitIdle', { timeoutMs: options.stepTimeoutMs });
    return {
      connections: batch.opened,
      heapPerConnection: (loaded.heapUsed - empty.heapUsed) / batch.opened,
      rssPerConnection: (loaded.rss - empty.rss) / batch.opened,
      connectsPerSecond: batch.opened / (batch.elapsedMs / 1000),
      timersAtZero: empty.resources.Timeout ?? 0,
      timersAtN: loaded.resources.Timeout ?? 0,
      resourcesAtZero: empty.resources,
      resourcesAtN: loaded.resources,
      registriesAtZero: empty.registries,
      registriesAtN: loaded.registries,
      registriesAfterDisconnect: drained.registries,
      drained: drained.idle,
    };
  });
}

/** Capacity of bare Socket.IO, then of ours. */
export async function runCapacity(options) {
  return { bare: await measureCapacity('bare', options), ours: await measureCapacity('ours', options) };
}
