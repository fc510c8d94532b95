import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { vi } from 'vitest';
import { closeRedisClient } from './redis-test-env';

/** A private redis-server (never the shared one) that a test may stop and start again on the same port. */
export interface RedisServerResource {
  readonly url: string;
  readonly port: number;
  /** Stops it the way a restart does (SIGTERM; with persistence the append-only file keeps the data, without it the data is gone). */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same data directory (empty without persistence). */
  start(): Promise<void>;
  /** `kill -9` of it (a crash: no shutdown, no cleanup). */
  kill(): Promise<void>;
  /** Stops it and deletes its data directory. */
  destroy(): Promise<void>;
}

/** A port on 127.0.0.1 that nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** What `use` resolves on a short-lived connection to the Redis (or Sentinel) on `port`; rejects when it does not answer. */
export async function withRedis<T>(port: number, use: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, connectTimeout: 500, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await use(client);
  } finally {
    await closeRedisClient(client);
  }
}

/** The answer of `ask` on a short-lived connection to the Redis (or Sentinel) on `port`, or '' when it does not answer. */
export async function askRedis(port: number, ask: (client: Redis) => Promise<string>): Promise<string> {
  try {
    return await withRedis(port, ask);
  } catch {
    return '';
  }
}

/** Whether the Redis (or Sentinel) on `port` answers PING. */
export async function answers(port: number): Promise<boolean> {
  return (await askRedis(port, (client) => client.ping())) === 'PONG';
}

/** Starts `redis-server` with `args` and resolves it once it answers on `port` (`what` names it in the error otherwise). */
export async function spawnAnswering(args: string[], port: number, what: string): Promise<ChildProcess> {
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  let spawnError: Error | undefined;
  // Without the binary (ENOENT): fail the test with that error, not with an unhandled one.
  child.once('error', (error) => {
    spawnError = error;
  });
  await vi.waitFor(
    async () => {
      if (spawnError) throw spawnError;
      if (!(await answers(port))) throw new Error(`${what} does not answer on port ${port} yet`);
    },
    { timeout: 5000, interval: 50 },
  );
  return child;
}

/** Options of {@link startRedisServer}. */
export interface RedisServerOptions {
  /** Keep the data across `stop`/`start` in an append-only file; `false` runs without any persistence. @default true */
  persistence?: boolean;
  /** Port of a master on 127.0.0.1 this server replicates (`--replicaof`). @default undefined (a master) */
  replicaOf?: number;
}

/** Starts `redis-server` on a free port with a temporary data directory, with persistence unless told otherwise. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServerResource> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'ws-redis-'));
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', options.persistence === false ? 'no' : 'yes', '--save', '', '--logfile', ''];
    if (options.replicaOf !== undefined) args.push('--replicaof', '127.0.0.1', String(options.replicaOf));
    // As a master, it syncs a new replica at once (diskless, without the default 5 s delay).
    child = await spawnAnswering([...args, '--repl-diskless-sync-delay', '0'], port, 'redis-server');
  };
  const stopWith = async (signal: NodeJS.Signals): Promise<void> => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill(signal);
    await exited;
  };
  const stop = (): Promise<void> => stopWith('SIGTERM');

  await start();
  return {
    url,
    port,
    start,
    stop,
    kill: () => stopWith('SIGKILL'),
    async destroy() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
