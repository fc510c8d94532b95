// Capacity: heap and RSS per idle subscribed connection (after GC on the server), connections per
// second while opening them with bounded concurrency, and handles held at 0 and at N connections.
// Both servers are up at the same time and the connections are opened in batches that alternate
// between them, so that a change in machine load hits both connect rates alike.
import { withScenarioSession } from '../scenario-session.mjs';

/** A server with its own load clients, ready to be measured. */
function withCapacitySession(target, options, next) {
  const processes = Math.ceil(options.connections / options.perProcess);
  const targetOptions = { maxConnections: options.connections + 100 };
  return withScenarioSession({ target, targetOptions, processes }, next);
}

/** Opens `options.connections` subscribed connections to each server and measures both; `order` says which server opens the first batch. */
export function runCapacity(options, { order }) {
  return withCapacitySession('bare', options, (bare) =>
    withCapacitySession('ours', options, async (ours) => {
      const sessions = { bare, ours };
      const empty = { bare: await bare.server.request('measure'), ours: await ours.server.request('measure') };
      const opening = { bare: { opened: 0, elapsedMs: 0, connectCpuMicros: 0, subscribeCpuMicros: 0 }, ours: { opened: 0, elapsedMs: 0, connectCpuMicros: 0, subscribeCpuMicros: 0 } };
      const batches = Math.ceil(options.connections / options.connectBatch);
      for (let batch = 0; batch < batches; batch++) {
        const size = Math.min(options.connectBatch, options.connections - batch * options.connectBatch);
        for (const target of batch % 2 === 0 ? order : [...order].reverse()) {
          const { server, clients } = sessions[target];
          // Connect first, then subscribe, so that the server's CPU time of each is measured on its own.
          const cpuBefore = await server.request('cpuMicros');
          const result = await clients.open(size, { url: server.url, concurrency: options.concurrency, jobPrefix: `capacity-b${batch}-`, distinctJobsPerProcess: true, subscribe: false });
          if (result.failed > 0) throw new Error(`${target}: ${result.failed} connections failed: ${result.firstError}`);
          const cpuConnected = await server.request('cpuMicros');
          const subscribed = await clients.subscribePending({ concurrency: options.concurrency });
          if (subscribed.failed > 0) throw new Error(`${target}: ${subscribed.failed} subscriptions failed: ${subscribed.firstError}`);
          opening[target].connectCpuMicros += cpuConnected - cpuBefore;
          opening[target].subscribeCpuMicros += (await server.request('cpuMicros')) - cpuConnected;
          opening[target].opened += result.opened;
          opening[target].elapsedMs += result.elapsedMs + subscribed.elapsedMs;
        }
      }
      const summary = async (target) => {
        const { server, clients } = sessions[target];
        const { opened, elapsedMs, connectCpuMicros, subscribeCpuMicros } = opening[target];
        const loaded = await server.request('measure');
        if (loaded.connections !== opened) throw new Error(`${target}: server sees ${loaded.connections} of ${opened} connections`);
        await clients.closeAll();
        const drained = await server.request('waitIdle', { timeoutMs: options.stepTimeoutMs });
        const before = empty[target];
        return {
          connections: opened,
          heapPerConnection: (loaded.heapUsed - before.heapUsed) / opened,
          rssPerConnection: (loaded.rss - before.rss) / opened,
          connectsPerSecond: opened / (elapsedMs / 1000),
          serverCpuMicrosPerConnect: connectCpuMicros / opened,
          serverCpuMicrosPerSubscribe: subscribeCpuMicros / opened,
          timersAtZero: before.resources.Timeout ?? 0,
          timersAtN: loaded.resources.Timeout ?? 0,
          resourcesAtZero: before.resources,
          resourcesAtN: loaded.resources,
          registriesAtZero: before.registries,
          registriesAtN: loaded.registries,
          registriesAfterDisconnect: drained.registries,
          drained: drained.idle,
        };
      };
      return { bare: await summary('bare'), ours: await summary('ours') };
    }),
  );
}
