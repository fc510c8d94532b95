import { ErrorCode } from '@org/ws-protocol';
import { describe, expect, it } from 'vitest';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';
import { connectClient, subscribe } from './support/test-client';

installLeakCheck();

describe('subscribe authorization', () => {
  it('answers FORBIDDEN identically for a job that does not exist and one the caller may not see', async () => {
    const { server, url } = await startJobServer({ authorizeSubscribe: ({ jobId }) => jobId.startsWith('public-') });
    await server.update('secret-1', { status: 'running', progress: 50 });
    const client = await connectClient(url);

    const hidden = await subscribe(client, { jobId: 'secret-1' });
    const missing = await subscribe(client, { jobId: 'secret-404' });
    expect(hidden).toEqual({ ok: false, error: { code: ErrorCode.FORBIDDEN, message: 'you may not watch this job' } });
    expect(missing).toEqual(hidden);
    expect(server.stats().subscriptions).toBe(0);
    expect(await subscribe(client, { jobId: 'public-1' })).toMatchObject({ ok: true });
  });

  it('answers INTERNAL when authorizeSubscribe throws and keeps serving', async () => {
    const errors: unknown[] = [];
    const { server, url } = await startJobServer({
      authorizeSubscribe: ({ jobId }) => {
        if (jobId === 'boom') throw new Error('policy engine down');
        return true;
      },
    });
    server.on('error', ({ error }) => errors.push(error));
    const client = await connectClient(url);
    expect(await subscribe(client, { jobId: 'boom' })).toEqual({
      ok: false,
      error: { code: ErrorCode.INTERNAL, message: 'the server could not authorize this request' },
    });
    expect(errors).toHaveLength(1);
    expect(server.stats().subscriptions).toBe(0);
    expect(await subscribe(client, { jobId: 'fine' })).toMatchObject({ ok: true });
  });
});
