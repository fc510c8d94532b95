import { fork, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { bundleNodeScript } from '../../../../test/support/node-script-bundle';

const here = dirname(fileURLToPath(import.meta.url));
// Inside the package's node_modules, so that the bundle's bare imports (ioredis, socket.io, ...) resolve as in tests.
const outDir = join(here, '../../node_modules/.cache/ws-redis-tests');
const bundles = new Map<string, Promise<string>>();

// The bundles of this test file go when its tests are done.
afterAll(async () => {
  const files = await Promise.all([...bundles.values()].map((pending) => pending.catch(() => undefined)));
  bundles.clear();
  for (const file of files) if (file) rmSync(file, { force: true });
});

/** Bundles a TypeScript entry (with the workspace packages from source) into a script Node runs as a child process. */
function bundle(entry: string): Promise<string> {
  let pending = bundles.get(entry);
  if (!pending) {
    const outfile = join(outDir, `${basename(entry, '.ts')}-${process.pid}.mjs`);
    pending = bundleNodeScript(join(here, entry), outfile).then(() => outfile);
    bundles.set(entry, pending);
  }
  return pending;
}

/** A reply of a child to a request. */
type ChildReply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

/** An event a child sends on its own. */
type ChildEvent = { type: string } & Record<string, unknown>;

/** A child process speaking request/reply over IPC; killed by `stopAllChildren`. */
export interface ChildResource {
  readonly process: ChildProcess;
  /** Sends `{ id, op, ...args }` and resolves the child's `result`. */
  request<T>(op: string, args?: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  /** Resolves the first event of this type the child sends (including ones already sent). */
  event<T extends Record<string, unknown>>(type: string, timeoutMs?: number): Promise<T>;
  /** Resolves once the process exited. */
  readonly exited: Promise<void>;
}

const children: ChildResource[] = [];

/** Starts `entry` (a file in test/support) as a child process with `config` as its JSON argument. */
export async function startChild(entry: string, config: Record<string, unknown>): Promise<ChildResource> {
  const script = await bundle(entry);
  const child = fork(script, [JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const events: ChildEvent[] = [];
  const waiters = new Set<() => void>();
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      for (const { reject } of pending.values()) reject(new Error(`${entry} exited`));
      pending.clear();
      for (const wake of waiters) wake();
      resolve();
    });
  });
  child.on('message', (raw) => {
    if (typeof (raw as ChildReply).id === 'number') {
      const reply = raw as ChildReply;
      const waiter = pending.get(reply.id);
      pending.delete(reply.id);
      if (reply.ok) waiter?.resolve(reply.result);
      else waiter?.reject(new Error(reply.error));
      return;
    }
    events.push(raw as ChildEvent);
    for (const wake of waiters) wake();
  });

  const withTimeout = <T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${entry}: ${what} timed out after ${timeoutMs} ms`)), timeoutMs);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  };

  const resource: ChildResource = {
    process: child,
    exited,
    request<T>(op: string, args: Record<string, unknown> = {}, timeoutMs = 20_000) {
      const id = nextId++;
      const reply = new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        child.send({ id, op, ...args });
      });
      return withTimeout(reply, timeoutMs, op);
    },
    event<T extends Record<string, unknown>>(type: string, timeoutMs = 20_000) {
      const found = new Promise<T>((resolve, reject) => {
        const check = (): void => {
          const event = events.find((candidate) => candidate.type === type);
          if (event) {
            waiters.delete(check);
            resolve(event as unknown as T);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            waiters.delete(check);
            reject(new Error(`${entry} exited before sending ${type}`));
          }
        };
        waiters.add(check);
        check();
      });
      return withTimeout(found, timeoutMs, `waiting for ${type}`);
    },
  };
  children.push(resource);
  return resource;
}

/** Kills every child still running and waits for them to exit. */
export async function stopAllChildren(): Promise<void> {
  const running = children.splice(0);
  for (const child of running) if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
  await Promise.all(running.map((child) => child.exited));
}
