import { describe, expect, it } from 'vitest';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';
import { connectClient } from './support/test-client';

installLeakCheck();

describe('close() options', () => {
  it.each([Number.NaN, -1, 0, Number.POSITIVE_INFINITY, 1.5, 2 ** 31, '500'])(
    'rejects timeoutMs %s with JobServerOptionsError and keeps serving',
    async (timeoutMs) => {
      const { server, url } = await startJobServer();
      await expect(server.close({ timeoutMs: timeoutMs as number })).rejects.toMatchObject({ name: 'JobServerOptionsError', option: 'timeoutMs' });
      expect(server.health().status).toBe('ok');
      await connectClient(url);
      expect(server.stats()).toMatchObject({ connections: 1, timers: 2 });
    },
  );

  it('rejects an unknown close option, naming it', async () => {
    const { server } = await startJobServer();
    await expect(server.close({ timeout: 500 } as { timeoutMs?: number })).rejects.toMatchObject({ name: 'JobServerOptionsError', option: 'timeout' });
  });

  it('still closes with a valid timeoutMs after a refused one', async () => {
    const { server } = await startJobServer();
    await expect(server.close({ timeoutMs: -5 })).rejects.toThrow(/"timeoutMs"/);
    await server.close({ timeoutMs: 500 });
    expect(server.health().status).toBe('shutting-down');
  });
});
