import { createJobServer, MemoryJobStore, type JobServer, type JobServerOptions, type JobStore } from '@org/ws-server';
import { trackServer, trackTeardown } from './leak-check';

/** A job store that outlives the servers using it, as a shared (e.g. Redis) store does across restarts. */
export interface SharedJobStore {
  /** Pass this to every server instance; servers cannot close it. */
  readonly store: JobStore;
  /** Empties the store for good (done by the leak check after the test). */
  dispose(): Promise<void>;
}

/**
 * Wraps an in-memory store so that a closing server does not empty it: `close()` of a server clears
 * whatever store it was given, so the wrapper leaves `close` out and the test disposes of it instead.
 */
export function createSharedJobStore(options: { bufferSize?: number } = {}): SharedJobStore {
  const inner = new MemoryJobStore(options);
  const store: JobStore = {
    append: (jobId, input, at) => inner.append(jobId, input, at),
    get: (jobId) => inner.get(jobId),
    replay: (jobId, lastSeq) => inner.replay(jobId, lastSeq),
    delete: (jobId, expectedSeq) => inner.delete(jobId, expectedSeq),
    findExpired: (rule) => inner.findExpired(rule),
    size: () => inner.size(),
  };
  const shared = { store, dispose: () => inner.close() };
  trackTeardown(shared.dispose);
  return shared;
}

/** A real job server on 127.0.0.1, restartable on the same port. */
export interface JobServerResource {
  /** The current instance (a new one after `restart`). */
  readonly server: JobServer;
  /** The port, kept across restarts. */
  readonly port: number;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Closes the current instance (sending `shutdown` notices) and starts a new one with the same options on the same port. */
  restart(closeOptions?: { timeoutMs?: number }): Promise<void>;
  /** Closes the current instance only, leaving the port free until `start`. */
  stop(closeOptions?: { timeoutMs?: number }): Promise<void>;
  /** Starts a new instance on the same port after `stop`. */
  start(): Promise<void>;
}

/** Starts a job server on port 0; the leak check closes it and checks its registries after the test. */
export async function startJobServer(options: JobServerOptions = {}): Promise<JobServerResource> {
  let server = createJobServer(options);
  trackServer(server);
  const port = await server.listen({ port: 0, host: '127.0.0.1' });
  const resource: JobServerResource = {
    get server() {
      return server;
    },
    port,
    url: `http://127.0.0.1:${port}`,
    async stop(closeOptions) {
      await server.close(closeOptions ?? { timeoutMs: 2000 });
    },
    async start() {
      server = createJobServer(options);
      trackServer(server);
      await server.listen({ port, host: '127.0.0.1' });
    },
    async restart(closeOptions) {
      await resource.stop(closeOptions);
      await resource.start();
    },
  };
  return resource;
}
