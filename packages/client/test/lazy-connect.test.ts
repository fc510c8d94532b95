import { createServer } from 'node:http';
import { describe, expect, it, vi } from 'vitest';
import { createJobClient, type JobClient, type JobClientOptions } from '../src/index';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck, trackClosable, trackTeardown } from './support/leak-check';
import { runNodeScript } from './support/node-script';

installLeakCheck();

/** A job server on its own HTTP server, with a count of every HTTP request and upgrade it received. */
async function countingServer() {
  const http = createServer();
  trackTeardown(() => new Promise((resolve) => http.close(resolve)));
  const resource = await startJobServer({ httpServer: http });
  // Added after Socket.IO attached: it wraps the `request` listeners present at attach time and calls them only for other paths.
  let requests = 0;
  http.on('request', () => (requests += 1));
  http.on('upgrade', () => (requests += 1));
  return { ...resource, requests: () => requests };
}

/** A client with the package's own defaults (lazy), closed after the test. */
function lazyClient(options: JobClientOptions): JobClient {
  const client = createJobClient(options);
  trackClosable(() => client.close());
  return client;
}

describe('connecting lazily (the default)', () => {
  it('opens nothing on creation and connects on the first subscribe', async () => {
    const resource = await countingServer();
    const client = lazyClient({ url: resource.url });
    expect(client.state).toEqual({ status: 'disconnected', reason: 'not-started' });
    client.subscribe('lazy-job');
    expect(client.state.status).toBe('connecting');
    await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(1));
    expect(client.state.status).toBe('connected');
  });

  it.each([
    ['watch()', (client: JobClient) => void client.watch('lazy-watch').next().catch(() => undefined)],
    ['waitFor()', (client: JobClient) => void client.waitFor('lazy-wait').catch(() => undefined)],
    ['connect()', (client: JobClient) => client.connect()],
  ])('connects on %s', async (_name, start) => {
    const resource = await countingServer();
    const client = lazyClient({ url: resource.url });
    expect(client.state.status).toBe('disconnected');
    start(client);
    await vi.waitFor(() => expect(client.state.status).toBe('connected'));
    expect(resource.server.stats().connections).toBe(1);
  });

  it('connects on creation with autoConnect: true', async () => {
    const resource = await countingServer();
    const client = lazyClient({ url: resource.url, autoConnect: true });
    expect(client.state.status).toBe('connecting');
    await vi.waitFor(() => expect(resource.server.stats().connections).toBe(1));
  });

  it('closes a client that never connected without opening anything, and `await using` closes a connected one', async () => {
    const resource = await countingServer();
    const unused = createJobClient({ url: resource.url });
    await unused.close();
    expect(unused.state).toEqual({ status: 'disconnected', reason: 'closed' });
    let observed: string | undefined;
    {
      await using scoped = createJobClient({ url: resource.url });
      scoped.subscribe('scoped-job');
      await vi.waitFor(() => expect(resource.server.stats().subscriptions).toBe(1));
      observed = scoped.state.status;
    }
    expect(observed).toBe('connected');
    await vi.waitFor(() => expect(resource.server.stats().connections).toBe(0));
  });
});

describe('in Node without a window, as server-rendered code runs it', () => {
  it('a client created at module scope sends nothing and lets the process exit by itself', async () => {
    const resource = await countingServer();
    const script = await runNodeScript('module-scope-client.ts', [resource.url]);
    expect(await script.exitWithin(10_000)).toBe(0);
    expect(JSON.parse(script.stdout())).toEqual({ hasWindow: false, state: { status: 'disconnected', reason: 'not-started' } });
    expect(resource.requests()).toBe(0);
    expect(resource.server.stats().connections).toBe(0);
  }, 20_000);

  it('with autoConnect: true the same script connects and stays alive (what the test above would catch)', async () => {
    const resource = await countingServer();
    const script = await runNodeScript('module-scope-client.ts', [resource.url, 'eager']);
    await vi.waitFor(() => expect(resource.server.stats().connections).toBe(1), { timeout: 10_000 });
    expect(resource.requests()).toBeGreaterThan(0);
    expect(script.process.exitCode).toBeNull();
    script.process.kill('SIGKILL');
    await script.exited;
    // Over WebSocket the server sees the killed process's TCP close at once.
    await vi.waitFor(() => expect(resource.server.stats().connections).toBe(0));
  }, 20_000);
});
