// Slow reader: one subscriber whose process is stopped (SIGSTOP) while its job publishes a burst of
// updates, next to healthy subscribers of the same job in another process. A shorter burst at the same rate
// with the reader still reading comes first: the healthy subscribers' latency without a stopped reader. Bare Socket.IO queues every
// update for the stopped reader in the server's memory until the connection dies; ours keeps only the
// latest state of the job for it (conflation) and caps its backlog. Reported: what the server holds,
// after full GCs, with the reader still stopped (heap + external, above the level before the burst),
// the healthy subscribers' delivery latency meanwhile, and that the reader, once resumed, ends on the
// last update.
import { startLoadClients } from '../load-clients.mjs';
import { withScenarioSession } from '../scenario-session.mjs';

const JOB_ID = 'slow-0';
const subscribeToJob = { concurrency: 50, jobPrefix: 'slow-', jobModulo: 1 };

/** Lets the stopped reader's process run again; one that is gone already leaves the scenario's own error to be reported. */
function resume(pid) {
  try {
    process.kill(pid, 'SIGCONT');
  } catch (error) {
    if (error.code !== 'ESRCH') throw error;
    console.error(`slow reader: its process ${pid} had exited while stopped`);
  }
}

/** Heap plus memory outside it (Buffers, socket data) that the server process holds. */
const held = (measure) => measure.heapUsed + measure.external;

/**
 * Publishes `burst` with every subscriber reading and resolves the healthy subscribers' delivery latency, once each
 * subscriber (the reader too) has every update of it.
 */
async function healthyLatency(target, { server, healthy, reader }, options, burst) {
  await Promise.all([healthy.arm(burst.count), reader.arm(burst.count)]);
  await healthy.recordLatencies();
  await server.request('publish', { jobId: JOB_ID, ...burst, stamped: true });
  const delivered = await Promise.all([healthy.collect(options.stepTimeoutMs), reader.collect(options.stepTimeoutMs)]);
  if (delivered.some((delivery) => !delivery.complete)) throw new Error(`${target}: a subscriber missed an update of the burst read before the stop`);
  return healthy.latencyPercentiles();
}

/** One run against `target`: the memory the stopped reader made the server hold, and the healthy subscribers' latency. */
function measureTarget(target, options, blobBytes) {
  // Both servers' liveness checks outlast the stop, so that what is measured is what the stopped reader
  // makes a server hold, not a connection their heartbeat (~40 s ours, ~45 s bare) already cut and freed.
  const stopMs = (options.slowUpdates / options.slowRate) * 1000;
  const targetOptions = { maxConnections: options.slowHealthy + 100, livenessMs: Math.ceil(stopMs + options.stepTimeoutMs) };
  return withScenarioSession({ target, targetOptions, processes: 1 }, async ({ server, clients: healthy }) => {
    const reader = await startLoadClients(1);
    try {
      const opened = [await reader.open(1, { url: server.url, ...subscribeToJob }), await healthy.open(options.slowHealthy, { url: server.url, ...subscribeToJob })];
      const failed = opened.find((batch) => batch.failed > 0);
      if (failed) throw new Error(`${target}: a subscriber failed: ${failed.firstError}`);
      const sides = { server, healthy, reader };
      const burst = (count) => ({ count, bytes: blobBytes, perSecond: options.slowRate });
      // A fifth of it first, unmeasured: a new server process is slower for its first updates (V8 warming up).
      await healthyLatency(target, sides, options, burst(Math.ceil(options.slowControlUpdates / 5)));
      const reading = await healthyLatency(target, sides, options, burst(options.slowControlUpdates));
      // Counted again from 0: what the reader receives from the burst it is stopped for.
      await Promise.all([healthy.arm(options.slowUpdates), reader.arm(options.slowUpdates)]);
      const before = await server.request('measure');
      const [readerPid] = reader.pids;
      process.kill(readerPid, 'SIGSTOP');
      let during;
      let latency;
      let healthyDone;
      try {
        await healthy.recordLatencies();
        await server.request('publish', { jobId: JOB_ID, count: options.slowUpdates, bytes: blobBytes, finalStatus: 'completed', perSecond: options.slowRate, stamped: true });
        healthyDone = await healthy.waitForStatus('completed', options.stepTimeoutMs);
        latency = await healthy.latencyPercentiles();
        during = await server.request('measure');
      } finally {
        resume(readerPid);
      }
      if (healthyDone.some((subscriber) => subscriber.lastStatus !== 'completed')) throw new Error(`${target}: a healthy subscriber missed the terminal update`);
      // The reader, resumed, must end on the terminal update (ours: after skipped states; bare: after all of them).
      const [resumed] = await reader.waitForStatus('completed', options.stepTimeoutMs);
      if (resumed?.lastStatus !== 'completed') throw new Error(`${target}: the resumed reader did not get the terminal update (${JSON.stringify(resumed)})`);
      return {
        updates: options.slowUpdates,
        healthySubscribers: options.slowHealthy,
        readerReceived: resumed.received,
        healthyReceivedMin: Math.min(...healthyDone.map((subscriber) => subscriber.received)),
        healthyLatencyP50Ms: latency.p50,
        healthyLatencyP99Ms: latency.p99,
        readingLatencyP50Ms: reading.p50,
        readingLatencyP99Ms: reading.p99,
        heldBytes: Math.max(0, held(during) - held(before)),
        heapBytes: during.heapUsed - before.heapUsed,
        externalBytes: during.external - before.external,
        connectionsDuring: during.connections,
      };
    } finally {
      await reader.stop();
    }
  });
}

/** Measures what one stopped reader costs each server while `options.slowUpdates` updates are published; `order` says which server runs first. */
export async function runSlowReader(options, { order }) {
  const envelope = JSON.stringify({ jobId: JOB_ID, seq: options.slowUpdates, status: 'running', progress: 99.5, data: { blob: '', sentAt: performance.timeOrigin + performance.now() }, at: Date.now() });
  const blobBytes = Math.max(0, options.slowUpdateBytes - envelope.length);
  const results = {};
  for (const target of order) results[target] = await measureTarget(target, options, blobBytes);
  return results;
}
