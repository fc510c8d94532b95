import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { createJobPublisher, type JobPublisher, type JobPublisherOptions, type JobServerOptions } from '../../src/index';
import { startJobServer, type JobServerResource } from './job-server-resource';
import type { RedisTarget } from './redis-target';
import { closeRedisClient, uniqueKeyPrefix } from './redis-test-env';

/** Redis options laid over the deployment's connection and the test's key prefix. */
type RedisExtra = object;

/** The nodes and publishers of the tests of one describe, on one Redis deployment, each test under its own key prefix. */
export interface RedisTestNodes<T extends RedisTarget> {
  /** The deployment, started once for the describe. */
  readonly target: T;
  /** A command client of the deployment, open from its start to its destroy (only with `probe: true`). */
  readonly probe: ReturnType<T['client']>;
  /** The current test's key prefix. */
  readonly prefix: string;
  /** The deployment under the current test's prefix, with `extra` laid over it. */
  redisOptions(extra?: RedisExtra): JobServerOptions['redis'] & object;
  /** Starts a node on the deployment under the current test's prefix (`options.redis` laid over it); closed after the test. */
  startNode(options?: JobServerOptions): Promise<JobServerResource>;
  /** Creates a publisher on the deployment under the current test's prefix (`options.redis` laid over it); closed after the test. */
  startPublisher(options?: Omit<JobPublisherOptions, 'redis'> & { redis?: RedisExtra }): JobPublisher;
}

/**
 * Installs, in the current describe, the deployment `startTarget` starts (destroyed after all its tests), a fresh key
 * prefix per test, and after each test: its publishers closed, then its nodes, then (with `expectNodeKeysGone`) no
 * node key left under the prefix, then every key under the prefix removed. With `probe`, a command client of the
 * deployment is opened after it starts and closed before it is destroyed.
 */
export function installRedisTestNodes<T extends RedisTarget>(
  startTarget: () => Promise<T>,
  { nodeDefaults = {}, expectNodeKeysGone = false, probe: withProbe = false }: { nodeDefaults?: JobServerOptions; expectNodeKeysGone?: boolean; probe?: boolean } = {},
): RedisTestNodes<T> {
  let target: T;
  let probe: ReturnType<T['client']> | undefined;
  let prefix: string;
  let nodes: JobServerResource[];
  let publishers: JobPublisher[];

  const redisOptions = (extra: RedisExtra = {}): JobServerOptions['redis'] & object =>
    ({ ...target.connection, keyPrefix: prefix, ...extra }) as JobServerOptions['redis'] & object;

  beforeAll(async () => {
    target = await startTarget();
    if (withProbe) probe = target.client() as ReturnType<T['client']>;
  }, 30_000);

  afterAll(async () => {
    if (probe) await closeRedisClient(probe);
    await target?.destroy();
  });

  beforeEach(() => {
    prefix = uniqueKeyPrefix();
    nodes = [];
    publishers = [];
  });

  afterEach(async () => {
    await Promise.all(publishers.map((publisher) => publisher.close()));
    await Promise.all(nodes.map((node) => node.close()));
    if (expectNodeKeysGone) expect(await target.listKeys(`${prefix}node`)).toEqual([]);
    await target.removeKeys(prefix);
  });

  return {
    get target() {
      return target;
    },
    get probe() {
      if (!probe) throw new Error('installRedisTestNodes was not asked for a probe');
      return probe;
    },
    get prefix() {
      return prefix;
    },
    redisOptions,
    startNode: async (options = {}) => {
      const node = await startJobServer({ ...nodeDefaults, ...options, redis: redisOptions(options.redis) });
      nodes.push(node);
      return node;
    },
    startPublisher: (options = {}) => {
      const publisher = createJobPublisher({ ...options, redis: redisOptions(options.redis) as JobPublisherOptions['redis'] });
      publishers.push(publisher);
      return publisher;
    },
  };
}
