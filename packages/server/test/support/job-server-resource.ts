import { createJobServer, type JobServer, type JobServerOptions } from '../../src/index';
import { trackServers } from './leak-check';

/** A job server on 127.0.0.1 that can be stopped and started again on the same port. */
export interface JobServerResource {
  /** The current server instance (a new one after `restart`). */
  readonly server: JobServer;
  readonly port: number;
  readonly url: string;
  /** Closes the current server and starts a fresh one with the same options on the same port. */
  restart(): Promise<void>;
  /** Closes the current server. */
  close(options?: { timeoutMs?: number }): Promise<void>;
  /** Every server this resource started, for the leak check. */
  readonly started: JobServer[];
}

/** Starts a job server on port 0 (then keeps that port across restarts). */
export async function startJobServer(options: JobServerOptions = {}): Promise<JobServerResource> {
  const started: JobServer[] = [];
  let server = createJobServer(options);
  started.push(server);
  trackServers(server);
  const port = await server.listen({ port: 0, host: '127.0.0.1' });
  return {
    get server() {
      return server;
    },
    port,
    url: `http://127.0.0.1:${port}`,
    started,
    async restart() {
      await server.close({ timeoutMs: 1000 });
      server = createJobServer(options);
      started.push(server);
      trackServers(server);
      await server.listen({ port, host: '127.0.0.1' });
    },
    close(closeOptions) {
      return server.close(closeOptions ?? { timeoutMs: 1000 });
    },
  };
}
