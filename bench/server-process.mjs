// Child process hosting one server under test (`ours` or `bare`), started with --expose-gc and
// driven by run.mjs over IPC: measure memory and handles, publish updates, wait for cleanup.
import { setTimeout as delay } from 'node:timers/promises';
import { getHeapSpaceStatistics } from 'node:v8';
import { collectGarbage } from '@org/ws-server/testing';
import { serveRequests } from './ipc-channel.mjs';

const [targetName, optionsJson = '{}'] = process.argv.slice(2);
const targetModules = { ours: './targets/ours.mjs', bare: './targets/bare-socketio.mjs' };
if (!targetModules[targetName]) throw new Error(`unknown target ${targetName}`);
if (typeof globalThis.gc !== 'function') throw new Error('server-process.mjs needs --expose-gc');

const { startTarget } = await import(targetModules[targetName]);
const target = await startTarget(JSON.parse(optionsJson));
const now = () => performance.timeOrigin + performance.now();
/** Heap the `addBallast` command holds, in chunks of this many bytes. */
const BALLAST_CHUNK_BYTES = 1024 * 1024;
const ballast = [];

/** Counts `process.getActiveResourcesInfo()` by resource type. */
function activeResources() {
  const byType = {};
  for (const type of process.getActiveResourcesInfo()) byType[type] = (byType[type] ?? 0) + 1;
  return byType;
}

process.on('SIGTERM', () => process.exit(0));

serveRequests({
  port: () => target.port,
  /** CPU time this process used so far (user + system), in microseconds. */
  cpuMicros: () => {
    const { user, system } = process.cpuUsage();
    return user + system;
  },
  async measure() {
    // The method `runLeakChurn` of @org/ws-server/testing uses: three full GCs, then a compacting one.
    await collectGarbage();
    const { heapUsed, rss, external } = process.memoryUsage();
    const heapSpaces = Object.fromEntries(getHeapSpaceStatistics().map((space) => [space.space_name, space.space_used_size]));
    return { heapUsed, rss, external, heapSpaces, resources: activeResources(), connections: target.connections(), registries: target.registries() };
  },
  /**
   * Publishes `count` updates of about `bytes` to `jobId`, the last one `finalStatus` when given. As fast as it can,
   * `paced`: letting the event loop write to sockets between two updates, or at most `perSecond` updates a second, as a
   * worker reporting progress would. With `stamped`, each update's `data.sentAt` is the time (ms, sub-ms precision) it was
   * handed to the server, from which subscribers time its delivery more finely than from its whole-ms `at`.
   */
  async publish({ jobId, count, bytes, finalStatus, paced = false, perSecond, stamped = false }) {
    const blob = 'x'.repeat(bytes);
    const unstamped = { blob };
    const startedAt = now();
    for (let seq = 1; seq <= count; seq++) {
      const status = seq === count && finalStatus ? finalStatus : 'running';
      const data = stamped ? { blob, sentAt: now() } : unstamped;
      await target.publish(jobId, seq, { status, progress: Math.min(100, (seq / count) * 100), data });
      if (perSecond !== undefined) {
        const due = startedAt + (seq * 1000) / perSecond;
        if (due > now()) await delay(due - now());
      } else if (paced) {
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    return { startedAt, endedAt: now() };
  },
  /** Publishes `rounds` updates of about `bytes` to each of `jobIds`, every job in turn in each round (one watcher per job). */
  async publishEach({ jobIds, rounds, bytes }) {
    const data = { blob: 'x'.repeat(bytes) };
    for (let seq = 1; seq <= rounds; seq++) {
      for (const jobId of jobIds) await target.publish(jobId, seq, { status: 'running', progress: (seq / rounds) * 100, data });
    }
  },
  /** Holds about `bytes` more of heap (arrays of numbers) until `dropBallast`: memory pressure on demand. */
  addBallast({ bytes }) {
    const chunks = Math.ceil(bytes / BALLAST_CHUNK_BYTES);
    for (let i = 0; i < chunks; i++) ballast.push(Array.from({ length: BALLAST_CHUNK_BYTES / 8 }, (_, j) => i + j + 0.5));
    return process.memoryUsage().heapUsed;
  },
  /** Lets go of the ballast and collects it. */
  async dropBallast() {
    ballast.length = 0;
    await collectGarbage();
    return process.memoryUsage().heapUsed;
  },
  /** The server's own health (`status` and `reasons`), or `null` for a server that has none. */
  health: () => target.health(),
  async waitIdle({ timeoutMs }) {
    const deadline = Date.now() + timeoutMs;
    await target.settle();
    while (!target.idle() && Date.now() < deadline) {
      await delay(20);
      await target.settle();
    }
    return { idle: target.idle(), registries: target.registries() };
  },
  close: () => target.close(),
});
