// One watcher per job: each connection watches a job of its own, and the server publishes to every job in turn, so
// that nothing is shared between deliveries (the fan-out scenario's one encoding for 1,000 watchers is the best case;
// this is the worst). Reports the server's CPU time per delivered update. Both servers are up at the same time and
// their bursts alternate (bare, ours, ours, bare, …), as in the fan-out scenario.
import { withScenarioSession } from '../scenario-session.mjs';

const JOB_PREFIX = 'own-';

/** One burst: `options.oneWatcherUpdates` updates to each job, job after job in every round. */
async function burst(target, { server, clients }, jobIds, options, blobBytes) {
  await clients.arm(options.oneWatcherUpdates);
  const cpuBefore = await server.request('cpuMicros');
  await server.request('publishEach', { jobIds, rounds: options.oneWatcherUpdates, bytes: blobBytes });
  const delivery = await clients.collect(options.stepTimeoutMs);
  if (!delivery.complete) throw new Error(`${target}: only ${delivery.received} of ${jobIds.length * options.oneWatcherUpdates} updates arrived`);
  const cpuMicros = (await server.request('cpuMicros')) - cpuBefore;
  return { jobs: jobIds.length, updatesPerJob: options.oneWatcherUpdates, serverCpuMicrosPerUpdate: cpuMicros / delivery.received };
}

/** Opens one watcher per job on `target`, then hands the session and the job ids to `next`. */
function withOwnJobs(target, options, next) {
  const targetOptions = { maxConnections: options.oneWatcherJobs + 100 };
  return withScenarioSession({ target, targetOptions, processes: options.fanoutProcesses }, async (session) => {
    const opened = await session.clients.open(options.oneWatcherJobs, { url: session.server.url, concurrency: options.concurrency, jobPrefix: JOB_PREFIX, distinctJobsPerProcess: true });
    if (opened.failed > 0) throw new Error(`${target}: ${opened.failed} watchers failed: ${opened.firstError}`);
    return next(session, session.clients.jobIds(options.oneWatcherJobs, JOB_PREFIX));
  });
}

/** Measures both servers, `options.fanoutRepeats` bursts each, alternating; resolves every burst of each. */
export function runOneWatcherJobs(options) {
  // Pad `data` so that the whole update, as JSON, is about `updateBytes` long (as the fan-out scenario does).
  const envelope = JSON.stringify({ jobId: `${JOB_PREFIX}p0-0`, seq: options.oneWatcherUpdates, status: 'running', progress: 99.5, data: { blob: '' }, at: Date.now() });
  const blobBytes = Math.max(0, options.updateBytes - envelope.length);
  return withOwnJobs('bare', options, (bare, bareJobs) =>
    withOwnJobs('ours', options, async (ours, ourJobs) => {
      const sessions = { bare: [bare, bareJobs], ours: [ours, ourJobs] };
      const runs = { bare: [], ours: [] };
      for (let run = 0; run < options.fanoutRepeats; run++) {
        for (const target of run % 2 === 0 ? ['bare', 'ours'] : ['ours', 'bare']) {
          const [session, jobIds] = sessions[target];
          runs[target].push(await burst(target, session, jobIds, options, blobBytes));
        }
      }
      return runs;
    }),
  );
}
