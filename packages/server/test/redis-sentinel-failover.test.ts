import type { JobUpdate } from '@org/ws-protocol';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createJobPublisher, RedisJobStore, type JobPublisher } from '../src/index';
import { seenByAll, updateUntilAccepted, watchJobs, type Watcher } from './support/failover-watchers';
import { startJobServer, type JobServerResource } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';
import { startRedisSentinel, type RedisSentinelResource } from './support/redis-sentinel-process';
import { closeRedisClient, skipWithoutRedisServerBinary, uniqueKeyPrefix } from './support/redis-test-env';

// Needs redis-server on PATH rather than the shared Redis: this suite starts its own master, replica and Sentinel.
const skip = skipWithoutRedisServerBinary('Redis Sentinel failover');

/** Longest a step may take before it counts as hung (bounds a hang, not the speed of a loaded machine). */
const WAIT_BOUND_MS = 30_000;

installLeakCheck();

describe.skipIf(skip)('a Redis behind Sentinel fails over while two nodes and a worker publisher, each with its own client through the Sentinel, serve watchers', () => {
  let deployment: RedisSentinelResource | undefined;
  let clients: Redis[];
  let nodes: JobServerResource[];
  let publisher: JobPublisher | undefined;
  let watchers: Watcher[];

  beforeEach(async () => {
    deployment = await startRedisSentinel();
    clients = [];
    nodes = [];
    publisher = undefined;
    watchers = [];
  }, WAIT_BOUND_MS);

  afterEach(async () => {
    await Promise.all(watchers.map(({ client }) => client.close()));
    await publisher?.close();
    await Promise.all(nodes.map((node) => node.close()));
    // The package leaves a client it was given open: the test closes its own, after the nodes and the publisher.
    await Promise.all(clients.map(closeRedisClient));
    await deployment?.destroy();
    deployment = undefined;
  });

  /** A client of the master through the Sentinel, as a user creates it (`new Redis({ sentinels, name })`), closed after the test. */
  const sentinelClient = (): Redis => {
    const client = deployment!.client();
    // A user logs these; connection errors while the master moves are expected here.
    client.on('error', () => undefined);
    clients.push(client);
    return client;
  };

  /** Two nodes and a publisher under a fresh key prefix, these jobs running, and 6 watchers of them on both nodes that all saw that. */
  const watchRunningJobs = async (jobs: string[]) => {
    const keyPrefix = uniqueKeyPrefix();
    for (let index = 0; index < 2; index += 1) nodes.push(await startJobServer({ redis: { client: sentinelClient(), keyPrefix } }));
    const urls = nodes.map((node) => node.url);
    const jobPublisher = createJobPublisher({ redis: { client: sentinelClient(), keyPrefix } });
    publisher = jobPublisher;
    for (const jobId of jobs) await jobPublisher.update(jobId, { status: 'running', progress: 0 });
    const group = Array.from({ length: 6 }, (_, index) => watchJobs(index % 2 === 0 ? urls : [...urls].reverse(), jobs, 3 * WAIT_BOUND_MS));
    watchers.push(...group);
    await vi.waitFor(() => expect(seenByAll(group, jobs, 1)).toBe(true), { timeout: WAIT_BOUND_MS, interval: 50 });
    return { keyPrefix, publisher: jobPublisher, group };
  };

  /**
   * Each job's terminal put into the store without a publish (what the nodes miss while their connections move to the
   * promoted replica), then replicated, so that it survives the failover: only the nodes' catch-up can deliver it.
   */
  const storeTerminalsUnpublished = async (keyPrefix: string, jobs: string[]): Promise<JobUpdate[]> => {
    const store = new RedisJobStore({ client: sentinelClient(), keyPrefix });
    const terminals = await Promise.all(jobs.map((jobId) => store.append(jobId, { status: 'completed', data: { result: jobId } }, Date.now())));
    await deployment!.waitUntilReplicated();
    return terminals;
  };

  /** Each job's terminal, retried until the store (on whichever master the Sentinel names) accepts it. */
  const publishTerminals = (jobPublisher: JobPublisher, jobs: string[]): Promise<JobUpdate[]> =>
    Promise.all(jobs.map((jobId) => updateUntilAccepted(jobPublisher, jobId, { status: 'completed', data: { result: jobId } }, WAIT_BOUND_MS)));

  /** Every watcher's `waitFor` of each job settled with its terminal, each delivered once, and every node and the publisher healthy again. */
  const expectEachTerminalOnceAndHealthy = async (group: Watcher[], terminals: JobUpdate[]): Promise<void> => {
    // Everything was replicated before the failover: each terminal follows the running update in the same history.
    expect(terminals.map((terminal) => terminal.seq)).toEqual(terminals.map(() => 2));
    for (const watcher of group) for (const terminal of terminals) await expect(watcher.settled.get(terminal.jobId)).resolves.toEqual(terminal);
    await vi.waitFor(
      () => {
        expect(nodes.map((node) => node.server.health())).toEqual(nodes.map(() => expect.objectContaining({ status: 'ok', reasons: [] })));
        expect(publisher!.health()).toEqual({ status: 'ok', reasons: [] });
      },
      { timeout: WAIT_BOUND_MS, interval: 50 },
    );
    // Checked once every node is connected again, so that a late catch-up that would send a terminal again is counted.
    for (const watcher of group) for (const terminal of terminals) expect(watcher.terminals.get(terminal.jobId)).toEqual([terminal]);
  };

  it(
    'after SENTINEL FAILOVER, the terminal updates the nodes never heard of and those published once the old master follows the new one reach every watcher once, and health is ok',
    { timeout: 120_000 },
    async () => {
      const [missed, published] = [['missed-0', 'missed-1', 'missed-2'], ['published-0', 'published-1', 'published-2']];
      const { keyPrefix, publisher: jobPublisher, group } = await watchRunningJobs([...missed, ...published]);
      const stored = await storeTerminalsUnpublished(keyPrefix, missed);

      await deployment!.failover();

      const terminals = await publishTerminals(jobPublisher, published);
      await expectEachTerminalOnceAndHealthy(group, [...stored, ...terminals]);
    },
  );

  it(
    'after kill -9 of the master, the terminal updates the nodes never heard of and those published at once (retried until the promoted replica takes them) reach every watcher once, and health is ok',
    { timeout: 120_000 },
    async () => {
      const [missed, published] = [['missed-0', 'missed-1', 'missed-2'], ['published-0', 'published-1', 'published-2']];
      const { keyPrefix, publisher: jobPublisher, group } = await watchRunningJobs([...missed, ...published]);
      const stored = await storeTerminalsUnpublished(keyPrefix, missed);

      const promoted = deployment!.killMaster();
      const terminals = await publishTerminals(jobPublisher, published);
      await promoted;
      await expectEachTerminalOnceAndHealthy(group, [...stored, ...terminals]);
    },
  );
});
