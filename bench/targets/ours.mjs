// Our server, built (`@org/ws-server` resolves to packages/server/dist), with its defaults except the
// per-IP cap (every bench client comes from 127.0.0.1) and, for the leak rounds, no retention of
// finished jobs: there `settle()` runs the sweep's job purge on demand, as an operator could, so that
// "every registry back to zero" can be checked after each round instead of 5 minutes later.
import { createJobServer } from '@org/ws-server';

/** Starts our job server on 127.0.0.1, port 0; `livenessMs` stretches our heartbeat and Engine.IO's ping alike. */
export async function startTarget({ maxConnections, finishedJobRetentionMs, overloadHeapUsedBytes, tickMs, livenessMs }) {
  const server = createJobServer({
    limits: { maxConnectionsPerIp: maxConnections, overload: { heapUsedBytes: overloadHeapUsedBytes } },
    // The overload scenario checks the heap every `tickMs` (the ticker runs at the shortest heartbeat period).
    ...(tickMs === undefined ? {} : { heartbeat: { intervalMs: tickMs } }),
    ...(finishedJobRetentionMs === undefined ? {} : { sweep: { finishedJobRetentionMs } }),
    ...(livenessMs === undefined
      ? {}
      : { heartbeat: { intervalMs: livenessMs, timeoutMs: livenessMs }, socketIoOptions: { pingInterval: livenessMs, pingTimeout: livenessMs } }),
  });
  const port = await server.listen({ port: 0, host: '127.0.0.1' });

  return {
    port,
    async publish(jobId, _seq, input) {
      await server.update(jobId, input);
    },
    connections: () => server.stats().connections,
    health: () => {
      const { status, reasons } = server.health();
      return { status, reasons };
    },
    registries: () => server.stats(),
    settle: () => server.maintenance.purgeStaleJobs(),
    idle: () => {
      const { timers: _timers, ...registries } = server.stats();
      return Object.values(registries).every((size) => size === 0);
    },
    close: () => server.close({ timeoutMs: 1000 }),
  };
}
