import { ErrorCode, JobIdSchema, JobUpdateInputSchema, MAX_JOB_DATA_BYTES, parsePayload } from '@org/ws-protocol';
import { describe, expect, it, vi } from 'vitest';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';
import { connectClient, subscribe, type TestSocket } from './support/test-client';

installLeakCheck();

/** The same socket without the protocol's typing, to send what a broken or hostile client would. */
const raw = (socket: TestSocket) => socket as unknown as { emit(event: string, ...args: unknown[]): void; emitWithAck(event: string, ...args: unknown[]): Promise<unknown> };

describe('inbound payload validation', () => {
  it.each([
    ['a string', 'job-1'],
    ['null', null],
    ['a number', 42],
    ['an array', ['job-1']],
    ['an empty jobId', { jobId: '' }],
    ['a jobId with spaces', { jobId: 'a b' }],
    ['an extra key', { jobId: 'ok', admin: true }],
    ['a negative lastSeq', { jobId: 'ok', lastSeq: -1 }],
    ['binary junk', Buffer.from([0xde, 0xad, 0xbe, 0xef])],
  ])('answers subscribe-job with %s by INVALID_PAYLOAD', async (_, payload) => {
    const { server, url } = await startJobServer();
    const client = await connectClient(url);
    const reply = await raw(client.socket).emitWithAck('subscribe-job', payload);
    expect(reply).toEqual({ ok: false, error: { code: ErrorCode.INVALID_PAYLOAD, message: expect.stringMatching(/^subscribe-job/) } });
    expect(JSON.stringify(reply)).not.toMatch(/ZodError|at .*\.ts/);
    expect(server.counters().invalidPayloads).toBe(1);
    expect(server.stats().subscriptions).toBe(0);
  });

  it('answers a bad unsubscribe-job with INVALID_PAYLOAD', async () => {
    const { url } = await startJobServer();
    const client = await connectClient(url);
    expect(await raw(client.socket).emitWithAck('unsubscribe-job', { job: 'x' })).toMatchObject({ ok: false, error: { code: ErrorCode.INVALID_PAYLOAD } });
  });

  it('counts requests without an ack callback, unknown events and binary junk without crashing', async () => {
    const { server, url } = await startJobServer();
    const client = await connectClient(url);
    raw(client.socket).emit('subscribe-job', { jobId: 'no-ack' });
    raw(client.socket).emit('drop-database', { please: true });
    raw(client.socket).emit('unsubscribe-job');
    raw(client.socket).emit('heartbeat', { ts: 1 });
    raw(client.socket).emit('job-update', Buffer.alloc(64, 0xff), new Uint8Array([1, 2, 3]));
    raw(client.socket).emit('constructor', {}, () => undefined);
    raw(client.socket).emit('__proto__', {}, () => undefined);
    await vi.waitFor(() => expect(server.counters()).toMatchObject({ missingAcks: 2, unknownEvents: 5 }));
    expect(server.stats().subscriptions).toBe(0);
    // The connection still works.
    expect(await subscribe(client, { jobId: 'after-junk' })).toMatchObject({ ok: true });
  });

  it('survives undecodable frames: the sender is dropped and counted, everyone else is served', async () => {
    const { server, url } = await startJobServer();
    const bystander = await connectClient(url);
    for (const junk of ['garbage that is no Socket.IO packet', new Uint8Array([0xff, 0x00, 0x13])]) {
      const sender = await connectClient(url);
      await subscribe(sender, { jobId: 'junk' });
      // Write straight to the Engine.IO transport, under Socket.IO's encoder.
      (sender.socket.io.engine as unknown as { write(data: unknown): void }).write(junk);
      await vi.waitFor(() => expect(sender.socket.connected).toBe(false));
    }
    await vi.waitFor(() => expect(server.counters().malformedPackets).toBe(2));
    expect(server.stats()).toMatchObject({ connections: 1, subscriptions: 0, connectionsByIp: 1 });
    expect(await subscribe(bystander, { jobId: 'junk' })).toMatchObject({ ok: true });
  });

  it('refuses an invalid update from the backend with a typed error', async () => {
    const { server } = await startJobServer();
    await expect(server.update('bad id', { status: 'running' })).rejects.toMatchObject({ name: 'JobProtocolError', code: ErrorCode.INVALID_PAYLOAD });
    await expect(server.update('ok', { status: 'running', progress: 101 })).rejects.toMatchObject({ code: ErrorCode.INVALID_PAYLOAD });
    await expect(server.update('ok', { status: 'paused' } as never)).rejects.toMatchObject({ code: ErrorCode.INVALID_PAYLOAD });
    await server.update('ok', { status: 'completed' });
    await expect(server.update('ok', { status: 'running' })).rejects.toMatchObject({ code: ErrorCode.INVALID_PAYLOAD, message: expect.stringContaining('already ended') });
    expect(await server.getJob('ok')).toMatchObject({ seq: 1, status: 'completed' });
  });

  it("words a refused update as the schema does, and publishes the input's fields as it read and checked them, once", async () => {
    const { server } = await startJobServer();
    const badInput = (input: unknown) => ({ jobId: 'job', input, expected: parsePayload(JobUpdateInputSchema, input, 'update') });
    const refusals = [
      { jobId: 'j b', input: { status: 'running' }, expected: parsePayload(JobIdSchema, 'j b', 'jobId') },
      badInput({ status: 'running', progress: 101 }),
      badInput({ status: 'running', extra: 1 }),
      badInput(Object.assign(Object.create({ inherited: 1 }) as object, { status: 'running' })),
      badInput({ status: 'running', data: { text: 'é'.repeat(MAX_JOB_DATA_BYTES / 2) } }),
      badInput(['running']),
    ];
    for (const { jobId, input, expected } of refusals) {
      if (expected.ok) throw new Error(`the schema accepts ${JSON.stringify(input)}`);
      await expect(server.update(jobId, input as never)).rejects.toMatchObject({ name: 'JobProtocolError', ...expected.error });
    }
    const throwing = { status: 'running', get progress(): number { throw new Error('no') } };
    await expect(server.update('job', throwing as never)).rejects.toMatchObject({ code: ErrorCode.INVALID_PAYLOAD, message: 'update could not be read' });
    // A getter that answers differently the second time: what was checked is what is stored.
    let reads = 0;
    const shifting = { get status() { reads += 1; return reads === 1 ? 'running' : 'paused'; } };
    expect(await server.update('job', shifting as never)).toMatchObject({ seq: 1, status: 'running' });
    expect(reads).toBe(1);
    expect(await server.getJob('job')).toMatchObject({ seq: 1, status: 'running' });
  });

  it("publishes the data it checked: a getter inside data that answers larger when read again is read once", async () => {
    const { server } = await startJobServer();
    let reads = 0;
    const data = { list: [{ get text() { reads += 1; return reads === 1 ? 'small' : 'x'.repeat(MAX_JOB_DATA_BYTES * 4); } }] };
    expect(await server.update('job', { status: 'running', data })).toMatchObject({ seq: 1, data: { list: [{ text: 'small' }] } });
    expect(reads).toBe(1);
    expect(await server.getJob('job')).toMatchObject({ data: { list: [{ text: 'small' }] } });
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    await expect(server.update('job', { status: 'running', data: cycle as never })).rejects.toMatchObject({ code: ErrorCode.INVALID_PAYLOAD, message: expect.stringContaining('nest deeper') });
  });
});
