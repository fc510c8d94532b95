import { describe, expect, it, vi } from 'vitest';
import { createJobClient, type JobClientOptions } from '../src/index';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck, trackClosable } from './support/leak-check';

installLeakCheck();

/** What a strict consumer passes when its configuration has no value for an option. */
const unset: string | number | undefined = undefined;

describe('options given as undefined (exactOptionalPropertyTypes consumers)', () => {
  it('a server and a client built with every optional option undefined work on the defaults', async () => {
    const resource = await startJobServer({
      socketIoOptions: { path: undefined, pingTimeout: undefined, cors: undefined },
      heartbeat: { intervalMs: undefined, timeoutMs: undefined },
      limits: { maxConnectionsPerIp: undefined, rateLimit: undefined },
      authenticate: undefined,
      logger: undefined,
    });
    const options: JobClientOptions = {
      url: resource.url,
      auth: undefined,
      reconnect: { maxDelayMs: undefined },
      heartbeat: undefined,
      ackTimeoutMs: undefined,
      autoConnect: undefined,
      socketOptions: { path: undefined, transports: undefined },
    };
    const client = createJobClient(options);
    trackClosable(() => client.close());
    const done = client.waitFor('undefined-options', { timeoutMs: undefined, signal: undefined });
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(1));
    await resource.server.update('undefined-options', { status: 'completed', progress: 100, data: unset });
    expect(await done).toMatchObject({ status: 'completed', progress: 100 });
    await resource.server.close({ timeoutMs: undefined });
  });
});
