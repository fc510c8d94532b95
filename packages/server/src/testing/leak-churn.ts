import { randomUUID } from 'node:crypto';
import type { AnyJobServer, JobServer, JobServerStats } from '@org/ws-server';
import { expectNoLeaks, type ExpectNoLeaksOptions } from './expect-no-leaks';
import { collectGarbage, leastSquaresSlope } from './heap-trend';
import { serverUrl } from './server-url';
import { openSubscribedClients, type OpenSubscribedClientsOptions } from './subscribed-clients';
import { wholeNumber } from './whole-number';

/** Options of `runLeakChurn`. */
export interface LeakChurnOptions extends Pick<OpenSubscribedClientsOptions, 'token' | 'extraHeaders' | 'concurrency'> {
  /** Rounds measured. @default 10 */
  rounds?: number | undefined;
  /** Rounds run first and not counted in the trend (V8 warms up: compiled code, inline caches). @default 2 */
  warmupRounds?: number | undefined;
  /** Clients connected, subscribed and closed each round. @default 50 */
  clientsPerRound?: number | undefined;
  /** Jobs the clients of a round spread over (new ids every round: `churn-<run>-r<round>-j<job>`). @default 5 */
  jobsPerRound?: number | undefined;
  /** Publish one `completed` update per job each round and wait until every client has it. @default true */
  publish?: boolean | undefined;
  /** Where clients connect. @default the server's `url`, else the address its HTTP server listens on */
  url?: string | undefined;
  /** How long each step (open, deliver, drain) may take. @default 10000 */
  timeoutMs?: number | undefined;
  /** What the registries may still hold after a round (see `expectNoLeaks`). @default {} */
  allow?: ExpectNoLeaksOptions['allow'] | undefined;
}

/** What one round left behind. */
export interface LeakChurnRound {
  /** 0-based, warm-up rounds included. */
  round: number;
  /** Whether it is a warm-up round (not in the trend). */
  warmup: boolean;
  /** `process.memoryUsage().heapUsed` after garbage collection. */
  heapUsedBytes: number;
  /** `server.stats()` once the round drained. */
  stats: JobServerStats;
}

/** The heap trend over the measured rounds. */
export interface LeakChurnResult {
  /** Every round, warm-up first. */
  rounds: LeakChurnRound[];
  /** Least-squares slope of the heap over the measured rounds: what each round adds for good. */
  heapSlopeBytesPerRound: number;
  /** The last measured round's heap over the first one's, minus 1 (0.01 is 1 % growth). */
  heapGrowth: number;
  /** Whether garbage collection was forced before each reading; without `node --expose-gc` the figures are noisy. */
  gcForced: boolean;
}

/**
 * Runs `warmupRounds + rounds` rounds of connect → subscribe → (receive) → disconnect against `server`; after each
 * round waits until the registries drained (`expectNoLeaks`), forces GC when exposed and reads the heap. The same
 * method as `pnpm bench`'s leak rounds, in one process (the heap includes the clients).
 * @throws JobServerLeakError when a round did not drain; TestClientError when a client failed.
 * @example
 * const { heapSlopeBytesPerRound, gcForced } = await runLeakChurn(server, { rounds: 10, clientsPerRound: 100 });
 */
export async function runLeakChurn(server: AnyJobServer & { url?: string }, options: LeakChurnOptions = {}): Promise<LeakChurnResult> {
  const rounds = wholeNumber('rounds', options.rounds ?? 10, 2);
  const warmupRounds = wholeNumber('warmupRounds', options.warmupRounds ?? 2, 0);
  const clientsPerRound = wholeNumber('clientsPerRound', options.clientsPerRound ?? 50, 1);
  const jobsPerRound = wholeNumber('jobsPerRound', options.jobsPerRound ?? 5, 1);
  const timeoutMs = wholeNumber('timeoutMs', options.timeoutMs ?? 10_000, 1);
  const url = options.url ?? serverUrl(server);
  const { token, extraHeaders, concurrency } = options;

  // New job ids every run and round: a finished job cannot be updated again, and the server may still hold it.
  const run = randomUUID().slice(0, 8);
  const results: LeakChurnRound[] = [];
  let gcForced = false;
  for (let round = 0; round < warmupRounds + rounds; round++) {
    const jobIds = Array.from({ length: jobsPerRound }, (_, job) => `churn-${run}-r${round}-j${job}`);
    const clients = await openSubscribedClients(url, { count: clientsPerRound, jobId: jobIds, token, extraHeaders, concurrency, timeoutMs });
    try {
      if (options.publish ?? true) {
        // Its own job ids, whatever the server's data map types them as (every server takes any id at run time).
        for (const jobId of jobIds) await (server as JobServer).update(jobId, { status: 'completed', progress: 100 });
        await clients.waitForUpdates(1, { timeoutMs });
      }
    } finally {
      clients.close();
    }
    await expectNoLeaks(server, { timeoutMs, allow: options.allow });
    gcForced = await collectGarbage();
    results.push({ round, warmup: round < warmupRounds, heapUsedBytes: process.memoryUsage().heapUsed, stats: server.stats() });
  }
  const heaps = results.filter((result) => !result.warmup).map((result) => result.heapUsedBytes);
  const [first, last] = [heaps[0]!, heaps.at(-1)!];
  return { rounds: results, heapSlopeBytesPerRound: leastSquaresSlope(heaps), heapGrowth: last / first - 1, gcForced };
}
