// A private local Redis Cluster for the bench's `cluster` scenario: 3 masters + 3 replicas on free ports in a temporary
// directory (never the Redis on 6379), created with redis-cli and stopped by PID.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

const MEMBERS = 6;

function listen(port) {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(undefined));
    probe.listen(port, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(address.port));
    });
  });
}

/** A free port whose cluster bus port (+10000) is free too. */
async function freeClusterPort(taken) {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = await listen(0);
    if (port === undefined || port > 55_000 || taken.has(port) || (await listen(port + 10_000)) === undefined) continue;
    taken.add(port);
    return port;
  }
  throw new Error('no free port pair for a cluster member');
}

const cli = (args) => spawnSync('redis-cli', args, { encoding: 'utf8' });

/** Why no cluster can be started here (no redis-server 7+ or no redis-cli on PATH), or undefined when one can. */
export function redisClusterUnavailable() {
  const server = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (server.error) return 'redis-server not found on PATH (sharded pub/sub needs Redis 7+)';
  const version = /v=(\d+)\.(\d+)\.(\d+)/.exec(server.stdout ?? '');
  if (!version) return `cannot read the version of redis-server from "${(server.stdout ?? '').trim()}"`;
  if (Number(version[1]) < 7) return `redis-server ${version.slice(1).join('.')} is older than 7, which sharded pub/sub needs`;
  if (spawnSync('redis-cli', ['--version'], { encoding: 'utf8' }).error) return 'redis-cli not found on PATH';
  return undefined;
}

/** Starts the cluster and waits until every member reports `cluster_state:ok` and every replica has synced. */
export async function startRedisCluster() {
  const unavailable = redisClusterUnavailable();
  if (unavailable) throw new Error(`cannot start a Redis Cluster: ${unavailable}`);
  const dir = mkdtempSync(join(tmpdir(), 'ws-bench-cluster-'));
  const taken = new Set();
  const children = [];
  const stop = async () => {
    await Promise.all(
      children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      }),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const ports = [];
    for (let index = 0; index < MEMBERS; index++) {
      const port = await freeClusterPort(taken);
      const memberDir = join(dir, String(port));
      mkdirSync(memberDir);
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', memberDir, '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf'];
      args.push('--cluster-node-timeout', '2000', '--repl-diskless-sync-delay', '0', '--save', '', '--appendonly', 'no', '--logfile', '');
      children.push(spawn('redis-server', args, { stdio: 'ignore' }));
      ports.push(port);
    }
    for (let attempt = 0; ports.some((port) => cli(['-p', String(port), 'ping']).stdout.trim() !== 'PONG'); attempt++) {
      if (attempt > 100) throw new Error('the cluster members did not answer');
      await delay(50);
    }
    const created = cli(['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '1', '--cluster-yes']);
    if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
    const healthy = (port) => {
      const info = cli(['-p', String(port), 'cluster', 'info']).stdout + cli(['-p', String(port), 'info', 'replication']).stdout;
      return info.includes('cluster_state:ok') && (!info.includes('role:slave') || info.includes('master_link_status:up'));
    };
    for (let attempt = 0; !ports.every(healthy); attempt++) {
      if (attempt > 200) throw new Error('the cluster did not become ok');
      await delay(100);
    }
    return { nodes: ports.map((port) => ({ host: '127.0.0.1', port })), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
