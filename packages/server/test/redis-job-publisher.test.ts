import type { JobUpdate } from '@org/ws-protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createJobPublisher } from '../src/index';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';
import { REDIS_URL, removeKeys, skipWithoutRedis, skipWithoutShardedPubSub, uniqueKeyPrefix } from './support/redis-test-env';
import { connectClient, subscribe } from './support/test-client';

const skip = await skipWithoutRedis('job publisher');
const skipSharded = skip || (await skipWithoutShardedPubSub('job publisher, sharded fan-out'));
/** The fan-outs this Redis supports (sharded pub/sub needs Redis 7+). */
const FANOUTS = skipSharded ? (['classic'] as const) : (['classic', 'sharded'] as const);

installLeakCheck();

const prefixes: string[] = [];
afterEach(async () => {
  await Promise.all(prefixes.splice(0).map((prefix) => removeKeys(prefix)));
});

describe.skipIf(skip)('job publisher', () => {
  it.each(FANOUTS)('finishes an update taken before close() (%s fan-out): stored and broadcast, the watcher gets the terminal', async (fanout) => {
    const keyPrefix = uniqueKeyPrefix();
    prefixes.push(keyPrefix);
    const redis = { url: REDIS_URL, keyPrefix, fanout };
    const node = await startJobServer({ redis });
    const client = await connectClient(node.url);
    const received: JobUpdate[] = [];
    client.socket.on('job-update', (update) => received.push(update));
    expect(await subscribe(client, { jobId: 'closing-1' })).toMatchObject({ ok: true });
    const publisher = createJobPublisher({ redis });
    await publisher.update('closing-1', { status: 'running', progress: 10 });
    // The worker's last update, and its shutdown right after (not awaiting the update first).
    const last = publisher.update('closing-1', { status: 'completed' });
    await publisher.close();
    await expect(last).resolves.toMatchObject({ seq: 2, status: 'completed' });
    await vi.waitFor(() => expect(received.map((update) => update.status)).toEqual(['running', 'completed']));
    await expect(publisher.update('closing-1', { status: 'running' })).rejects.toMatchObject({ code: 'SHUTTING_DOWN' });
  });
});
