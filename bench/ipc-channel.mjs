// Request/response over a child process's IPC channel: the bench talks to every server and client
// process through this one tiny protocol ({ id, cmd, args } → { id, ok, result | error }).
import { fork } from 'node:child_process';

/**
 * Forks `modulePath`, waits until it calls `serveRequests`, and returns a handle whose
 * `request(cmd, args)` resolves with the child's answer.
 */
export async function startChild(modulePath, { args = [], execArgv = [], label = modulePath } = {}) {
  const child = fork(modulePath, args, { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const pending = new Map();
  let nextId = 1;
  let exited = null;
  let markReady;
  const ready = new Promise((resolve, reject) => {
    markReady = resolve;
    child.once('exit', (code, signal) => reject(new Error(`${label} exited before it was ready (${signal ?? code})`)));
  });

  child.on('message', (message) => {
    if (message.ready) return markReady();
    const waiter = pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id);
    if (message.ok) waiter.resolve(message.result);
    else waiter.reject(new Error(`${label}: ${message.error}`));
  });
  child.on('exit', (code, signal) => {
    exited = { code, signal };
    for (const waiter of pending.values()) waiter.reject(new Error(`${label} exited (${signal ?? code})`));
    pending.clear();
  });

  await ready;
  return {
    pid: child.pid,
    request(cmd, requestArgs = {}) {
      if (exited) return Promise.reject(new Error(`${label} already exited`));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.send({ id, cmd, args: requestArgs });
      });
    },
    async stop() {
      if (exited) return;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
    },
  };
}

/** In a child: answers each request with `handlers[cmd](args)`; a thrown error becomes `{ ok: false }`. */
export function serveRequests(handlers) {
  process.on('message', async ({ id, cmd, args }) => {
    try {
      const handler = handlers[cmd];
      if (!handler) throw new Error(`unknown command ${cmd}`);
      process.send({ id, ok: true, result: await handler(args) });
    } catch (error) {
      process.send({ id, ok: false, error: error instanceof Error ? error.stack ?? error.message : String(error) });
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ ready: true });
}
