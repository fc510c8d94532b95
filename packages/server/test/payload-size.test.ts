import { MAX_CLIENT_PACKET_BYTES, MAX_EPOCH_LENGTH, MAX_JOB_ID_LENGTH, MAX_TOKEN_LENGTH, PROTOCOL_VERSION } from '@org/ws-protocol';
import { describe, expect, it, vi } from 'vitest';
import { JOB_SERVER_DEFAULTS, type JobServer } from '../src/index';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck, ZERO_STATS } from './support/leak-check';
import { openRawEngineAccepted } from './support/raw-engine-client';
import { connectClient, subscribe, type TestClient } from './support/test-client';

installLeakCheck();

/** The largest legal handshake: the longest token, every character of it escaped to `\uXXXX` in JSON. */
const LARGEST_AUTH = { protocolVersion: PROTOCOL_VERSION, token: '\u0000'.repeat(MAX_TOKEN_LENGTH) };
/** WebSocket close code for a message larger than the receiver accepts (RFC 6455). */
const MESSAGE_TOO_BIG = 1009;

/** Every registry empty while the server runs (its ticker and sweeper are its only timers). */
const expectIdle = (server: JobServer) => expect(server.stats()).toEqual({ ...ZERO_STATS, timers: 2 });

/** Emits without the protocol's typing, as a broken client would. */
function emitUntyped(client: TestClient, event: string, payload: unknown): void {
  (client.socket as unknown as { emit(event: string, ...args: unknown[]): void }).emit(event, payload, () => undefined);
}

describe('payload size (limits.maxPayloadBytes, Engine.IO maxHttpBufferSize)', () => {
  it.each([
    ['websocket', 'transport close'],
    ['polling', 'transport error'],
  ] as const)('closes the transport of a client that sends a jobId past the limit over %s (the client sees %s), and serves the others', async (transport, reason) => {
    const { server, url } = await startJobServer();
    const bystander = await connectClient(url);
    const sender = await connectClient(url, { transports: [transport] });
    emitUntyped(sender, 'subscribe-job', { jobId: 'x'.repeat(JOB_SERVER_DEFAULTS.limits.maxPayloadBytes) });
    await vi.waitFor(() => expect(sender.disconnectReasons).toEqual([reason]));
    await vi.waitFor(() => expect(server.stats()).toMatchObject({ connections: 1, connectionsByIp: 1, subscriptions: 0, rateLimitRecords: 0 }));
    expect(await subscribe(bystander, { jobId: 'after-oversized' })).toMatchObject({ ok: true });
    bystander.socket.disconnect();
    await vi.waitFor(() => expectIdle(server));
  });

  it('takes a raw WebSocket message of exactly the limit and closes the connection with code 1009 for one byte more, handshake or event', async () => {
    const { server, url } = await startJobServer({ limits: { maxPayloadBytes: MAX_CLIENT_PACKET_BYTES } });
    // JSON allows trailing whitespace: the padded handshake is still the same handshake.
    const handshake = `40${JSON.stringify(LARGEST_AUTH)}`;
    const atLimit = await openRawEngineAccepted(url);
    atLimit.send(handshake.padEnd(MAX_CLIENT_PACKET_BYTES, ' '));
    expect(await atLimit.nextMessage((text) => text.startsWith('40'))).toMatch(/^40\{"sid":/);
    atLimit.close();

    const handshaking = await openRawEngineAccepted(url);
    handshaking.send(handshake.padEnd(MAX_CLIENT_PACKET_BYTES + 1, ' '));
    expect(await handshaking.closed).toBe(MESSAGE_TOO_BIG);

    const subscribing = await openRawEngineAccepted(url);
    subscribing.send(`40${JSON.stringify({ protocolVersion: PROTOCOL_VERSION })}`);
    await subscribing.nextMessage((text) => text.startsWith('40{'));
    const event = `420${JSON.stringify(['subscribe-job', { jobId: '' }])}`;
    subscribing.send(event.replace('""', `"${'x'.repeat(MAX_CLIENT_PACKET_BYTES + 1 - event.length)}"`));
    expect(await subscribing.closed).toBe(MESSAGE_TOO_BIG);
    await vi.waitFor(() => expectIdle(server));
  });

  it.each(['websocket', 'polling'] as const)('accepts the largest legal handshake and subscribe-job over %s with the smallest allowed limit', async (transport) => {
    const { server, url } = await startJobServer({ limits: { maxPayloadBytes: MAX_CLIENT_PACKET_BYTES } });
    const client = await connectClient(url, { transports: [transport], auth: LARGEST_AUTH });
    const request = { jobId: 'x'.repeat(MAX_JOB_ID_LENGTH), lastSeq: Number.MAX_SAFE_INTEGER, epoch: '\u0000'.repeat(MAX_EPOCH_LENGTH) };
    expect(await subscribe(client, request)).toMatchObject({ ok: true, jobId: request.jobId });
    expect(server.stats()).toMatchObject({ connections: 1, subscriptions: 1 });
  });
});
