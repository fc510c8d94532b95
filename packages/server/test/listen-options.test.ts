import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createJobServer } from '../src/index';
import { installLeakCheck, trackServers } from './support/leak-check';
import { connectClient } from './support/test-client';

installLeakCheck();

describe('listen() options', () => {
  it.each([
    [{ port: 'abc' }, 'port'],
    [{ port: 70_000 }, 'port'],
    [{ port: -1 }, 'port'],
    [{ port: 80.5 }, 'port'],
    [{ host: 5 }, 'host'],
    [{ host: '' }, 'host'],
    [{ prot: 0 }, 'prot'],
    [null, '(options)'],
  ])('rejects %j with JobServerOptionsError naming %s, binds nothing, and listens on valid options after it', async (options, option) => {
    const server = createJobServer();
    trackServers(server);
    await expect(server.listen(options as never)).rejects.toMatchObject({ name: 'JobServerOptionsError', option });
    // Node would have taken a port string for a pipe path, and bound every interface for a host that is not a string.
    expect(existsSync('abc')).toBe(false);
    const port = await server.listen({ port: 0 });
    await connectClient(`http://127.0.0.1:${port}`);
    expect(server.stats().connections).toBe(1);
  });

  it('binds 127.0.0.1 and a free port when given nothing, or only undefined', async () => {
    for (const options of [undefined, {}, { port: undefined, host: undefined }]) {
      const server = createJobServer();
      trackServers(server);
      const port = await server.listen(options);
      expect(port).toBeGreaterThan(0);
      expect(server.io.httpServer.address()).toMatchObject({ address: '127.0.0.1', port });
    }
  });
});
