import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';
import { vi } from 'vitest';
import { askRedis, freePort, spawnAnswering, startRedisServer, type RedisServerResource } from './redis-server-process';

/** The name under which the Sentinel monitors the master. */
const MASTER_NAME = 'mymaster';
/** The Sentinel counts the master as down after this long without an answer: short, so that a crash fails over in seconds. */
const DOWN_AFTER_MS = 1000;
/** Longest a failover may take before the Sentinel gives it up. */
const FAILOVER_TIMEOUT_MS = 5000;
/** Longest a failover or a first sync may take here before the helper gives up (bounds a hang). */
const SETTLE_BOUND_MS = 30_000;

/** A private master, its replica and one Sentinel (quorum 1) on free ports, without persistence, never the shared Redis on 6379. */
export interface RedisSentinelResource {
  /** The Sentinel, as ioredis' `sentinels` option takes it. */
  readonly sentinels: { host: string; port: number }[];
  /** The monitored master's name (ioredis' `name` option). */
  readonly name: string;
  /** A new ioredis client of the current master through the Sentinel (`options` laid over it); the caller closes it. */
  client(options?: RedisOptions): Redis;
  /** `SENTINEL FAILOVER`; resolves with the promoted replica once it is master and the old master replicates from it. */
  failover(): Promise<RedisServerResource>;
  /** `kill -9` of the master; resolves with the promoted replica once the Sentinel names it master and it answers as one. */
  killMaster(): Promise<RedisServerResource>;
  /** Resolves once the replica acknowledged everything the master has written so far (`WAIT 1`). */
  waitUntilReplicated(): Promise<void>;
  /** Stops the Sentinel and both servers by PID and deletes their directories. */
  destroy(): Promise<void>;
}

/** The `role:` of `INFO replication` of the server on `port`, and whether its link to its master is up ('' when it does not answer). */
async function roleOf(port: number): Promise<{ role: string; masterPort: number | undefined; linked: boolean }> {
  const info = await askRedis(port, (client) => client.info('replication'));
  return {
    role: /role:(\w+)/.exec(info)?.[1] ?? '',
    masterPort: Number(/master_port:(\d+)/.exec(info)?.[1]) || undefined,
    linked: info.includes('master_link_status:up'),
  };
}

/** Starts a Sentinel process from a config file in `dir` (it rewrites its config, so the file must be writable). */
async function spawnSentinel(dir: string, port: number, masterPort: number): Promise<ChildProcess> {
  const config = join(dir, 'sentinel.conf');
  writeFileSync(
    config,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      'logfile ""',
      `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${masterPort} 1`,
      `sentinel down-after-milliseconds ${MASTER_NAME} ${DOWN_AFTER_MS}`,
      `sentinel failover-timeout ${MASTER_NAME} ${FAILOVER_TIMEOUT_MS}`,
      '',
    ].join('\n'),
  );
  return spawnAnswering([config, '--sentinel'], port, 'the Sentinel');
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
}

/**
 * Starts a master, a replica of it (`--replicaof`) and a Sentinel monitoring the master (quorum 1, down after 1 s,
 * failover timeout 5 s), and resolves once the Sentinel lists the replica as synced, so that it can promote it.
 */
export async function startRedisSentinel(): Promise<RedisSentinelResource> {
  const dir = mkdtempSync(join(tmpdir(), 'ws-redis-sentinel-'));
  const servers: RedisServerResource[] = [];
  let sentinel: ChildProcess | undefined;
  const destroy = async (): Promise<void> => {
    if (sentinel) await stopProcess(sentinel);
    await Promise.all(servers.map((server) => server.destroy()));
    rmSync(dir, { recursive: true, force: true });
  };

  const sentinelPort = await freePort();
  const askSentinel = (...args: string[]): Promise<string> => askRedis(sentinelPort, async (client) => JSON.stringify(await client.call('SENTINEL', ...args)));
  const masterPort = async (): Promise<number> => Number((JSON.parse((await askSentinel('get-master-addr-by-name', MASTER_NAME)) || '[]') as string[])[1]);
  /** Waits until the Sentinel names a master other than `old` that answers as one; returns it. */
  const promotedFrom = async (old: RedisServerResource): Promise<RedisServerResource> => {
    let promoted: RedisServerResource | undefined;
    await vi.waitFor(
      async () => {
        const port = await masterPort();
        promoted = servers.find((server) => server.port === port && server !== old);
        if (!promoted) throw new Error(`the Sentinel still names ${port} master`);
        if ((await roleOf(port)).role !== 'master') throw new Error(`${port} does not answer as master yet`);
      },
      { timeout: SETTLE_BOUND_MS, interval: 50 },
    );
    return promoted!;
  };
  const currentMaster = async (): Promise<RedisServerResource> => {
    const port = await masterPort();
    const master = servers.find((server) => server.port === port);
    if (!master) throw new Error(`the Sentinel names no known master (${port})`);
    return master;
  };

  try {
    const master = await startRedisServer({ persistence: false });
    servers.push(master);
    servers.push(await startRedisServer({ persistence: false, replicaOf: master.port }));
    sentinel = await spawnSentinel(dir, sentinelPort, master.port);
    // A replica the Sentinel has not seen synced (from the master's INFO, then its own) cannot be promoted.
    await vi.waitFor(
      async () => {
        const replicas = JSON.parse((await askSentinel('replicas', MASTER_NAME)) || '[]') as string[][];
        const fields = new Map<string, string>();
        for (const replica of replicas) for (let index = 0; index + 1 < replica.length; index += 2) fields.set(replica[index]!, replica[index + 1]!);
        if (fields.get('flags') !== 'slave' || fields.get('master-link-status') !== 'ok') throw new Error('the Sentinel has not seen the replica synced yet');
      },
      { timeout: SETTLE_BOUND_MS, interval: 50 },
    );
  } catch (error) {
    await destroy();
    throw error;
  }

  return {
    sentinels: [{ host: '127.0.0.1', port: sentinelPort }],
    name: MASTER_NAME,
    client: (options = {}) => new Redis({ sentinels: [{ host: '127.0.0.1', port: sentinelPort }], name: MASTER_NAME, ...options }),
    async failover() {
      const old = await currentMaster();
      const answer = await askSentinel('failover', MASTER_NAME);
      if (answer !== '"OK"') throw new Error(`SENTINEL FAILOVER answered ${answer || 'nothing'}`);
      const promoted = await promotedFrom(old);
      // Until the Sentinel turns the old master into a replica (seconds later), it still takes writes, which the sync then drops.
      await vi.waitFor(
        async () => {
          const { role, masterPort: following, linked } = await roleOf(old.port);
          if (role !== 'slave' || following !== promoted.port || !linked) throw new Error(`the old master ${old.port} does not replicate from ${promoted.port} yet`);
        },
        { timeout: SETTLE_BOUND_MS, interval: 50 },
      );
      return promoted;
    },
    async killMaster() {
      const old = await currentMaster();
      await old.kill();
      return promotedFrom(old);
    },
    async waitUntilReplicated() {
      const master = await currentMaster();
      const acknowledged = await askRedis(master.port, async (client) => String(await client.call('WAIT', '1', '5000')));
      if (acknowledged !== '1') throw new Error(`the replica did not acknowledge the master's writes (WAIT answered ${acknowledged || 'nothing'})`);
    },
    destroy,
  };
}
