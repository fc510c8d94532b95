// Slow reader: one subscriber whose process is stopped (SIGSTOP) while its job publishes a burst of
// updates. Bare Socket.IO queues every update for it in the server's memory until the connection dies;
// ours keeps only the latest state of the job for it (conflation) and caps its backlog. Reported: what
// the server holds, after full GCs, with the reader still stopped (heap + external, above the level
// before the burst), and that the reader, once resumed, ends on the last update.
import { withScenarioSession } from '../scenario-session.mjs';

const JOB_ID = 'slow-0';

/** Heap plus memory outside it (Buffers, socket data) that the server process holds. */
const held = (measure) => measure.heapUsed + measure.external;

/** One run against `target`: resolves the memory the stopped reader made the server hold. */
function measureTarget(target, options, blobBytes) {
  return withScenarioSession({ target, targetOptions: { maxConnections: 100 }, processes: 1 }, async ({ server, clients }) => {
    const batch = await clients.open(1, { url: server.url, concurrency: 1, jobPrefix: 'slow-', jobModulo: 1 });
    if (batch.failed > 0) throw new Error(`${target}: the subscriber failed: ${batch.firstError}`);
    const before = await server.request('measure');
    const [readerPid] = clients.pids;
    process.kill(readerPid, 'SIGSTOP');
    let during;
    try {
      await server.request('publish', { jobId: JOB_ID, count: options.slowUpdates, bytes: blobBytes, finalStatus: 'completed' });
      during = await server.request('measure');
    } finally {
      process.kill(readerPid, 'SIGCONT');
    }
    // The reader, resumed, must end on the terminal update (ours: after skipped states; bare: after all of them).
    const [reader] = await clients.waitForStatus('completed', options.stepTimeoutMs);
    if (reader?.lastStatus !== 'completed') throw new Error(`${target}: the resumed reader did not get the terminal update (${JSON.stringify(reader)})`);
    return {
      readerReceived: reader.received,
      updates: options.slowUpdates,
      heldBytes: Math.max(0, held(during) - held(before)),
      heapBytes: during.heapUsed - before.heapUsed,
      externalBytes: during.external - before.external,
      connectionsDuring: during.connections,
    };
  });
}

/** Measures what one stopped reader costs each server while `options.slowUpdates` updates are published. */
export async function runSlowReader(options) {
  const envelope = JSON.stringify({ jobId: JOB_ID, seq: options.slowUpdates, status: 'running', progress: 99.5, data: { blob: '' }, at: Date.now() });
  const blobBytes = Math.max(0, options.slowUpdateBytes - envelope.length);
  const bare = await measureTarget('bare', options, blobBytes);
  const ours = await measureTarget('ours', options, blobBytes);
  return { bare, ours };
}
