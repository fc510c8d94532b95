// A private local Redis Cluster for `pnpm bench:cluster`: 3 masters + 3 replicas on free ports in a temporary
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

/** Starts the cluster and waits until every member reports `cluster_state:ok` and every replica has synced. */
export async function startRedisCluster() {
  const major = Number(/v=(\d+)\./.exec(spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout ?? '')?.[1]);
  if (!(major >= 7)) throw new Error('bench:cluster needs redis-server 7 or later (sharded pub/sub) and redis-cli on PATH');
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
