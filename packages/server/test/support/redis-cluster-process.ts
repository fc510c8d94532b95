import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster } from 'ioredis';
import { vi } from 'vitest';
import { askRedis, withRedis } from './redis-server-process';

/** One redis-server of a private cluster. */
export interface RedisClusterMember {
  readonly port: number;
  /** Process id of its redis-server. */
  readonly pid: number;
}

/** Options of `startRedisCluster`. */
export interface RedisClusterStartOptions {
  /** AOF on every member, fsynced at every write (`--appendonly yes --appendfsync always`). @default false */
  persistence?: boolean;
}

/** A private local Redis Cluster (3 masters + 3 replicas) on free ports, never the shared Redis on 6379. */
export interface RedisClusterResource {
  /** Startup nodes for an ioredis `Cluster` or the `redis.nodes` option. */
  readonly nodes: { host: string; port: number }[];
  readonly members: readonly RedisClusterMember[];
  /** The member that currently masters `key`'s slot (asks the cluster). */
  masterOf(key: string): Promise<RedisClusterMember>;
  /**
   * Moves `key`'s slot from its master to another master, as a resharding does: `CLUSTER SETSLOT` IMPORTING and
   * MIGRATING, `MIGRATE` of every key in the slot, then `SETSLOT NODE` on every master; resolves once every live member
   * names the new master as the slot's owner. Clients that cached the old owner get `MOVED` from it.
   */
  moveSlot(key: string): Promise<{ slot: number; from: RedisClusterMember; to: RedisClusterMember }>;
  /** The live replica of a master (asks the master). */
  replicaOf(master: RedisClusterMember): Promise<RedisClusterMember>;
  /** A manual failover (`CLUSTER FAILOVER` on a replica: its master hands over without losing a write); resolves once the cluster is healthy with it as master. */
  failover(replica: RedisClusterMember): Promise<void>;
  /** Stops one member with SIGSTOP (it holds its connections but answers nothing) until the returned function sends SIGCONT. */
  suspend(member: RedisClusterMember): () => void;
  /** `kill -9` of one member (a crash: no cleanup, no failover handshake). */
  kill(member: RedisClusterMember): Promise<void>;
  /**
   * Starts a killed member again on its port and data directory (with `persistence`, from its AOF); resolves the
   * member with its new PID once it holds the role the cluster gives it (a master that was failed over meanwhile
   * rejoins as a replica of the promoted one) and the cluster is healthy again.
   */
  restart(member: RedisClusterMember): Promise<RedisClusterMember>;
  /**
   * Waits until every live replica has processed everything its master had written when this was called (the
   * replication offsets): what the masters acknowledged so far survives a failover.
   */
  waitUntilReplicated(): Promise<void>;
  /**
   * Waits until `cluster info` reports `cluster_state:ok` on every live member, every replica's link to its master is
   * up (so that it can be promoted), and `key`'s slot has a live master.
   */
  waitUntilHealthy(key?: string): Promise<void>;
  /** Stops every member by PID and deletes the data directory. */
  destroy(): Promise<void>;
}

const MEMBERS = 6;
/** A master is failed over this long after it stops answering: small, so that failover tests stay short. */
const NODE_TIMEOUT_MS = 1000;

function listen(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(undefined));
    probe.listen(port, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : undefined));
    });
  });
}

/** A free port whose cluster bus port (+10000) is free too. */
async function freeClusterPort(taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const port = await listen(0);
    if (port === undefined || port > 55_000 || taken.has(port)) continue;
    if ((await listen(port + 10_000)) === undefined) continue;
    taken.add(port);
    return port;
  }
  throw new Error('no free port pair for a cluster member');
}

/** `CLUSTER INFO` and `INFO replication` of one member, or '' when it does not answer. */
const clusterInfo = (port: number): Promise<string> =>
  askRedis(port, async (client) => `${String(await client.call('CLUSTER', 'INFO'))}\n${await client.info('replication')}`);

/** The `name:value` fields of one member's `INFO replication` (empty when it does not answer). */
async function replicationInfo(port: number): Promise<Map<string, string>> {
  const text = await askRedis(port, (client) => client.info('replication'));
  return new Map(text.split(/\r?\n/).flatMap((line) => (line.includes(':') ? [line.split(':', 2) as [string, string]] : [])));
}

/** One command on a short-lived connection to the member on `port`; rejects with its error (unlike `askRedis`). */
function command(port: number, name: string, ...args: (string | number)[]): Promise<unknown> {
  return withRedis(port, (client) => client.call(name, ...args));
}

/** The port of the master that owns `slot` according to the member on `port` (`CLUSTER SLOTS`), if any. */
async function slotOwner(port: number, slot: number): Promise<number | undefined> {
  const ranges = (await command(port, 'CLUSTER', 'SLOTS')) as [number, number, [string, number, ...unknown[]], ...unknown[]][];
  return ranges.find(([from, to]) => slot >= from && slot <= to)?.[2][1];
}

function runCli(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('redis-cli', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`redis-cli ${args.join(' ')} exited ${code}: ${output}`))));
  });
}

/**
 * Starts 6 `redis-server --cluster-enabled yes` on free ports in a temporary directory (node timeout 1 s; no
 * persistence unless asked), joins them with `redis-cli --cluster create --cluster-replicas 1` and waits until the
 * cluster is ok.
 */
export async function startRedisCluster(options: RedisClusterStartOptions = {}): Promise<RedisClusterResource> {
  const dir = mkdtempSync(join(tmpdir(), 'ws-redis-cluster-'));
  const taken = new Set<number>();
  const children = new Map<number, ChildProcess>();
  const members: RedisClusterMember[] = [];
  const argsOf = new Map<number, string[]>();
  const spawnMember = (port: number): RedisClusterMember => {
    const child = spawn('redis-server', argsOf.get(port)!, { stdio: 'ignore' });
    child.once('error', () => undefined);
    if (child.pid === undefined) throw new Error('redis-server did not start');
    children.set(port, child);
    return { port, pid: child.pid };
  };
  const stopAll = async (): Promise<void> => {
    await Promise.all(
      [...children.values()].map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGKILL');
        await exited;
      }),
    );
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    for (let index = 0; index < MEMBERS; index += 1) {
      const port = await freeClusterPort(taken);
      const memberDir = join(dir, String(port));
      mkdirSync(memberDir);
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', memberDir, '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf'];
      // No delay before a replica's first sync (5 s by default): a replica that never synced cannot be promoted.
      args.push('--cluster-node-timeout', String(NODE_TIMEOUT_MS), '--repl-diskless-sync-delay', '0', '--save', '', '--logfile', '');
      args.push(...(options.persistence ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']));
      argsOf.set(port, args);
      members.push(spawnMember(port));
    }
    await vi.waitFor(
      async () => {
        for (const { port } of members) if ((await clusterInfo(port)) === '') throw new Error(`cluster member ${port} does not answer yet`);
      },
      { timeout: 10_000, interval: 50 },
    );
    await runCli(['--cluster', 'create', ...members.map(({ port }) => `127.0.0.1:${port}`), '--cluster-replicas', '1', '--cluster-yes']);
  } catch (error) {
    await stopAll();
    throw error;
  }

  const alive = (): RedisClusterMember[] => members.filter(({ port }) => children.get(port)?.exitCode === null && children.get(port)?.signalCode === null);
  const masterOf = async (key: string): Promise<RedisClusterMember> => {
    const { port } = alive()[0]!;
    const slot = Number(await command(port, 'CLUSTER', 'KEYSLOT', key));
    const owner = await slotOwner(port, slot);
    const member = members.find((candidate) => candidate.port === owner);
    if (!member) throw new Error(`no master owns slot ${slot} yet`);
    return member;
  };
  const waitUntilHealthy = async (key?: string): Promise<void> => {
    await vi.waitFor(
      async () => {
        for (const { port } of alive()) {
          const info = await clusterInfo(port);
          if (!info.includes('cluster_state:ok')) throw new Error(`cluster member ${port} is not ok yet`);
          if (info.includes('role:slave') && !info.includes('master_link_status:up')) throw new Error(`replica ${port} has not synced yet`);
        }
        if (key !== undefined && !alive().includes(await masterOf(key))) throw new Error(`the slot of ${key} has no live master yet`);
      },
      { timeout: 20_000, interval: 100 },
    );
  };

  try {
    await waitUntilHealthy();
  } catch (error) {
    await stopAll();
    throw error;
  }
  return {
    nodes: members.map(({ port }) => ({ host: '127.0.0.1', port })),
    members,
    masterOf,
    async moveSlot(key) {
      const from = await masterOf(key);
      const masters: RedisClusterMember[] = [];
      for (const member of alive()) if ((await replicationInfo(member.port)).get('role') === 'master') masters.push(member);
      const to = masters.find((master) => master !== from);
      if (!to) throw new Error('no other master to move the slot to');
      const slot = Number(await command(from.port, 'CLUSTER', 'KEYSLOT', key));
      const [fromId, toId] = [String(await command(from.port, 'CLUSTER', 'MYID')), String(await command(to.port, 'CLUSTER', 'MYID'))];
      await command(to.port, 'CLUSTER', 'SETSLOT', slot, 'IMPORTING', fromId);
      await command(from.port, 'CLUSTER', 'SETSLOT', slot, 'MIGRATING', toId);
      const keys = (await command(from.port, 'CLUSTER', 'GETKEYSINSLOT', slot, 100_000)) as string[];
      if (keys.length > 0) await command(from.port, 'MIGRATE', '127.0.0.1', to.port, '', 0, 5000, 'KEYS', ...keys);
      // The new owner first, then the old one, then the others: the order of `redis-cli --cluster reshard`.
      for (const master of [to, from, ...masters.filter((other) => other !== to && other !== from)]) await command(master.port, 'CLUSTER', 'SETSLOT', slot, 'NODE', toId);
      await vi.waitFor(
        async () => {
          for (const { port } of alive()) if ((await slotOwner(port, slot)) !== to.port) throw new Error(`cluster member ${port} does not see slot ${slot} on ${to.port} yet`);
        },
        { timeout: 20_000, interval: 50 },
      );
      return { slot, from, to };
    },
    async replicaOf(master) {
      const info = await replicationInfo(master.port);
      const port = Number(/port=(\d+)/.exec(info.get('slave0') ?? '')?.[1]);
      const replica = alive().find((member) => member.port === port);
      if (!replica) throw new Error(`master ${master.port} has no live replica`);
      return replica;
    },
    async failover(replica) {
      await askRedis(replica.port, async (client) => String(await client.call('CLUSTER', 'FAILOVER')));
      await vi.waitFor(
        async () => {
          if ((await replicationInfo(replica.port)).get('role') !== 'master') throw new Error(`replica ${replica.port} is not master yet`);
        },
        { timeout: 20_000, interval: 50 },
      );
      await waitUntilHealthy();
    },
    suspend(member) {
      const child = children.get(member.port);
      if (!child || child.exitCode !== null || child.signalCode !== null) throw new Error(`cluster member ${member.port} is not running`);
      child.kill('SIGSTOP');
      return () => {
        child.kill('SIGCONT');
      };
    },
    async kill(member) {
      const child = children.get(member.port);
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGKILL');
      await exited;
    },
    async restart(member) {
      const index = members.findIndex(({ port }) => port === member.port);
      const child = children.get(member.port);
      if (index === -1 || !child || (child.exitCode === null && child.signalCode === null)) throw new Error(`cluster member ${member.port} is still running`);
      members[index] = spawnMember(member.port);
      // Until the others told it that its replica took over, a failed-over master still claims its old slots.
      await vi.waitFor(
        async () => {
          const own = (await replicationInfo(member.port)).get('role');
          const observer = alive().find(({ port }) => port !== member.port)!.port;
          const line = (await askRedis(observer, async (client) => String(await client.call('CLUSTER', 'NODES'))))
            .split('\n')
            .find((entry) => entry.includes(`127.0.0.1:${member.port}@`));
          const seen = line?.split(' ')[2]?.includes('slave') ? 'slave' : 'master';
          if (own !== seen) throw new Error(`cluster member ${member.port} says it is ${own ?? 'unreachable'}, the cluster says ${seen}`);
        },
        { timeout: 20_000, interval: 100 },
      );
      await waitUntilHealthy();
      return members[index]!;
    },
    async waitUntilReplicated() {
      const written = new Map<string, number>();
      for (const { port } of alive()) {
        const info = await replicationInfo(port);
        if (info.get('role') === 'master') written.set(String(port), Number(info.get('master_repl_offset')));
      }
      await vi.waitFor(
        async () => {
          for (const { port } of alive()) {
            const info = await replicationInfo(port);
            const goal = written.get(info.get('master_port') ?? '');
            if (info.get('role') !== 'slave' || goal === undefined) continue;
            const processed = Number(info.get('slave_repl_offset'));
            if (!(processed >= goal)) throw new Error(`replica ${port} has processed up to offset ${processed} of ${goal}`);
          }
        },
        { timeout: 10_000, interval: 20 },
      );
    },
    waitUntilHealthy,
    destroy: stopAll,
  };
}

/** An ioredis Cluster client of `cluster` as the package wants it (sharded subscribers on). */
export function clusterClient(cluster: RedisClusterResource): Cluster {
  return new Cluster(cluster.nodes, { shardedSubscribers: true, redisOptions: { maxRetriesPerRequest: 1 } });
}
