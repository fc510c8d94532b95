import { ErrorCode } from '@org/ws-protocol';
import { describe, expect, it } from 'vitest';
import { MemoryJobStore, type JobStore } from '../src/index';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';

installLeakCheck();

/** A memory store whose calls fail while `down` is set, as a store whose backend went away. */
function flakyStore(): { store: JobStore; inner: MemoryJobStore; setDown: (down: boolean) => void } {
  const inner = new MemoryJobStore();
  let down = false;
  const guard = <T>(call: () => Promise<T>): Promise<T> => (down ? Promise.reject(new Error('ECONNREFUSED')) : call());
  const store: JobStore = {
    append: (jobId, input, at) => guard(() => inner.append(jobId, input, at)),
    get: (jobId) => guard(() => inner.get(jobId)),
    replay: (jobId, lastSeq) => guard(() => inner.replay(jobId, lastSeq)),
    delete: (jobId, expectedSeq) => inner.delete(jobId, expectedSeq),
    findExpired: (rules) => inner.findExpired(rules),
    size: () => inner.size(),
  };
  return { store, inner, setDown: (value) => (down = value) };
}

describe('health and the store', () => {
  it('reports store-unavailable after a failed getJob as after a failed update, and ok again after a call that worked', async () => {
    const { store, inner, setDown } = flakyStore();
    const { server } = await startJobServer({ store });
    await server.update('a', { status: 'running' });
    setDown(true);
    await expect(server.getJob('a')).rejects.toMatchObject({ code: ErrorCode.UNAVAILABLE });
    expect(server.health()).toMatchObject({ status: 'degraded', reasons: ['store-unavailable'] });
    setDown(false);
    expect(await server.getJob('a')).toMatchObject({ jobId: 'a', seq: 1 });
    expect(server.health()).toMatchObject({ status: 'ok', reasons: [] });

    setDown(true);
    await expect(server.update('a', { status: 'running' })).rejects.toMatchObject({ code: ErrorCode.UNAVAILABLE });
    expect(server.health().reasons).toEqual(['store-unavailable']);
    setDown(false);
    expect(await server.getJob('a')).toMatchObject({ seq: 1 });
    expect(server.health().reasons).toEqual([]);
    await inner.close();
  });
});
