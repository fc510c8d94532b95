import { isTerminal, type JobUpdate } from '@org/ws-protocol';
import { vi } from 'vitest';
// The client package is not a dependency of the server (it depends on the server for its own tests): import its source.
import { createJobClient, type JobClient } from '../../../client/src/index';
import type { JobPublisher } from '../../src/index';

/** One `@org/ws-client` watching every job: a `waitFor` per job, and every terminal update its subscription delivered. */
export interface Watcher {
  readonly client: JobClient;
  /** What each `waitFor` settled with: the update it resolved with, or the error it rejected with. */
  readonly settled: Map<string, Promise<JobUpdate | Error>>;
  readonly terminals: Map<string, JobUpdate[]>;
  /** Every update its subscription delivered (the snapshot first), in the order delivered. */
  readonly updates: Map<string, JobUpdate[]>;
  /** Highest seq delivered per job. */
  readonly latest: Map<string, number>;
}

/** A client on `urls` (moving to the next on every reconnect) that subscribes to and waits for every job; `waitFor` gives up after `timeoutMs`. */
export function watchJobs(urls: string[], jobs: string[], timeoutMs: number): Watcher {
  const client = createJobClient({
    urls,
    reconnect: { initialDelayMs: 50, maxDelayMs: 400, minDelayMs: 20 },
    heartbeat: { intervalMs: 1000, graceMs: 2000 },
    socketOptions: { transports: ['websocket'] },
  });
  const terminals = new Map(jobs.map((jobId) => [jobId, [] as JobUpdate[]]));
  const updates = new Map(jobs.map((jobId) => [jobId, [] as JobUpdate[]]));
  const latest = new Map<string, number>();
  for (const jobId of jobs) {
    client.subscribe(jobId, (update) => {
      updates.get(jobId)!.push(update);
      latest.set(jobId, Math.max(latest.get(jobId) ?? 0, update.seq));
      if (isTerminal(update.status)) terminals.get(jobId)!.push(update);
    });
  }
  const settled = new Map(jobs.map((jobId) => [jobId, client.waitFor(jobId, { timeoutMs }).catch((error: Error) => error)]));
  return { client, settled, terminals, updates, latest };
}

/** Whether every watcher of `group` was delivered at least `seq` of each of `jobs`. */
export function seenByAll(group: Watcher[], jobs: string[], seq: number): boolean {
  return group.every((watcher) => jobs.every((jobId) => (watcher.latest.get(jobId) ?? 0) >= seq));
}

/** Retries an update until it is accepted (while a slot has no master the store answers UNAVAILABLE), for at most `timeoutMs`. */
export async function updateUntilAccepted(publisher: JobPublisher, jobId: string, input: Parameters<JobPublisher['update']>[1], timeoutMs: number): Promise<JobUpdate> {
  let accepted: JobUpdate | undefined;
  await vi.waitFor(
    async () => {
      accepted = await publisher.update(jobId, input);
    },
    { timeout: timeoutMs, interval: 100 },
  );
  return accepted!;
}
