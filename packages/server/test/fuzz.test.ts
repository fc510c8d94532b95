import {
  ConnectErrorDataSchema,
  ErrorCode,
  HandshakeAuthSchema,
  PROTOCOL_VERSION,
  SubscribeJobAckSchema,
  SubscribeJobRequestSchema,
  UnsubscribeJobAckSchema,
  UnsubscribeJobRequestSchema,
  type ProtocolError,
} from '@org/ws-protocol';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { JOB_SERVER_DEFAULTS, type JobServer, type JobServerOptions, type JobServerStats } from '../src/index';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';
import { connectClient, createTestClient, subscribe, type TestClient, type TestSocket } from './support/test-client';

installLeakCheck();

/** The socket without the protocol's typing: what a broken or hostile client can send. */
interface UntypedSocket {
  emit(event: string, ...args: unknown[]): void;
  timeout(ms: number): { emitWithAck(event: string, ...args: unknown[]): Promise<unknown> };
}
const untyped = (socket: TestSocket): UntypedSocket => socket as unknown as UntypedSocket;

// Rate limit out of the way (floods have their own suite); frames over limits.maxPayloadBytes close the transport.
const MAX_FRAME_BYTES = JOB_SERVER_DEFAULTS.limits.maxPayloadBytes;
const FUZZ_OPTIONS: JobServerOptions = { limits: { rateLimit: { events: 1_000_000, windowMs: 1000 } } };
const ACK_TIMEOUT_MS = 5000;
const RUNS = { numRuns: 150 } as const;
const SLOW_RUNS = { numRuns: 25 } as const;
/** Time one run of a slow property may take on a loaded machine (a run takes about 0.2 s on an idle one). */
const SLOW_RUN_BUDGET_MS = 2000;

/** A buffer, which Socket.IO sends as a binary attachment. */
const binary = (maxLength: number) => fc.uint8Array({ maxLength }).map((bytes) => Buffer.from(bytes));

/** What a broken or hostile client might send as a payload: any JSON, near-misses of the real requests, binary, and sometimes a real request. */
const junk = fc.oneof(
  fc.record({ jobId: fc.stringMatching(/^[A-Za-z0-9._:-]{1,128}$/), lastSeq: fc.nat() }, { requiredKeys: ['jobId'] }),
  fc.jsonValue({ maxDepth: 4 }),
  fc.record(
    {
      jobId: fc.oneof(fc.string({ maxLength: 200 }), fc.stringMatching(/^[A-Za-z0-9._:-]{1,130}$/), fc.integer(), fc.constant(null), binary(16)),
      lastSeq: fc.oneof(fc.integer(), fc.double(), fc.string({ maxLength: 8 }), fc.constant(null)),
      extra: fc.jsonValue({ maxDepth: 1 }),
    },
    { requiredKeys: [] },
  ),
  binary(256),
);

/** Every property of `stats()` except `timers`, which is not about what clients did. */
function registries(server: JobServer): Omit<JobServerStats, 'timers'> {
  const { timers: _timers, ...rest } = server.stats();
  return rest;
}

/** A refusal carries the expected code and a readable message: no zod dump, no stack trace. */
function expectTypedError(error: ProtocolError, codes: readonly string[]): void {
  expect(codes).toContain(error.code);
  expect(JSON.stringify(error)).not.toMatch(/ZodError|"issues"|\bat \S+:\d+:\d+/);
}

/** A connected client whose rate-limit bucket exists already, and the registries with it in place. */
async function fuzzTarget(options: JobServerOptions = FUZZ_OPTIONS): Promise<{ server: JobServer; url: string; client: TestClient; baseline: Omit<JobServerStats, 'timers'> }> {
  const { server, url } = await startJobServer(options);
  const client = await connectClient(url);
  expect(await untyped(client.socket).timeout(ACK_TIMEOUT_MS).emitWithAck('unsubscribe-job', { jobId: 'warm-up' })).toEqual({ ok: true });
  return { server, url, client, baseline: registries(server) };
}

describe('fuzzing every client → server message', () => {
  it('answers any subscribe-job payload with a valid reply, INVALID_PAYLOAD when it is not a request, and keeps its registries', async () => {
    const { server, client, baseline } = await fuzzTarget();
    await fc.assert(
      fc.asyncProperty(junk, async (payload) => {
        const reply = SubscribeJobAckSchema.parse(await untyped(client.socket).timeout(ACK_TIMEOUT_MS).emitWithAck('subscribe-job', payload));
        const request = SubscribeJobRequestSchema.safeParse(payload);
        if (!request.success) {
          expect(reply.ok).toBe(false);
          if (!reply.ok) expectTypedError(reply.error, [ErrorCode.INVALID_PAYLOAD]);
          return;
        }
        expect(reply).toMatchObject({ ok: true, jobId: request.data.jobId, snapshot: null });
        expect(await untyped(client.socket).timeout(ACK_TIMEOUT_MS).emitWithAck('unsubscribe-job', { jobId: request.data.jobId })).toEqual({ ok: true });
      }),
      RUNS,
    );
    expect(registries(server)).toEqual(baseline);
  });

  it('answers any unsubscribe-job payload with a valid reply and keeps its registries', async () => {
    const { server, client, baseline } = await fuzzTarget();
    await fc.assert(
      fc.asyncProperty(junk, async (payload) => {
        const reply = UnsubscribeJobAckSchema.parse(await untyped(client.socket).timeout(ACK_TIMEOUT_MS).emitWithAck('unsubscribe-job', payload));
        if (UnsubscribeJobRequestSchema.safeParse(payload).success) {
          expect(reply).toEqual({ ok: true });
        } else {
          expect(reply.ok).toBe(false);
          if (!reply.ok) expectTypedError(reply.error, [ErrorCode.INVALID_PAYLOAD]);
        }
      }),
      RUNS,
    );
    expect(registries(server)).toEqual(baseline);
  });

  it('takes the last argument as the ack whatever number of arguments comes before it, and accepts only one payload before it', async () => {
    const { server, client, baseline } = await fuzzTarget();
    await fc.assert(
      fc.asyncProperty(fc.array(junk, { maxLength: 3 }), async (args) => {
        const reply = SubscribeJobAckSchema.parse(await untyped(client.socket).timeout(ACK_TIMEOUT_MS).emitWithAck('subscribe-job', ...args));
        const request = SubscribeJobRequestSchema.safeParse(args[0]);
        expect(reply.ok).toBe(request.success && args.length === 1);
        if (args.length > 1) expect(reply).toMatchObject({ ok: false, error: { code: ErrorCode.INVALID_PAYLOAD } });
        if (reply.ok && request.success) await untyped(client.socket).timeout(ACK_TIMEOUT_MS).emitWithAck('unsubscribe-job', { jobId: request.data.jobId });
      }),
      RUNS,
    );
    expect(registries(server)).toEqual(baseline);
  });

  it('ignores unknown events and requests without an ack, with or without binary, and keeps serving', async () => {
    const { server, client, baseline } = await fuzzTarget();
    // socket.io-client refuses to send its reserved names; `error` is not one of them and reaches the server.
    const reserved = new Set(['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener']);
    const eventName = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('error', 'heartbeat', 'job-update', 'server-timeout-notice', 'job-expired', '__proto__', 'constructor'));
    const message = fc.oneof(
      fc.record({ kind: fc.constant('unknown' as const), event: eventName.filter((name) => !reserved.has(name) && name !== 'subscribe-job' && name !== 'unsubscribe-job'), args: fc.array(junk, { maxLength: 3 }) }),
      fc.record({ kind: fc.constant('no-ack' as const), event: fc.constantFrom('subscribe-job', 'unsubscribe-job'), args: fc.array(junk, { maxLength: 2 }) }),
    );
    const before = server.counters();
    let sent = { unknown: 0, 'no-ack': 0 };
    await fc.assert(
      fc.asyncProperty(message, async ({ kind, event, args }) => {
        untyped(client.socket).emit(event, ...args);
        sent = { ...sent, [kind]: sent[kind] + 1 };
        // A request with an ack behind it proves the server took the junk in its stride.
        expect(await untyped(client.socket).timeout(ACK_TIMEOUT_MS).emitWithAck('unsubscribe-job', { jobId: 'still-there' })).toEqual({ ok: true });
      }),
      RUNS,
    );
    const after = server.counters();
    expect(after.unknownEvents - before.unknownEvents).toBe(sent.unknown);
    expect(after.missingAcks - before.missingAcks).toBe(sent['no-ack']);
    // An event that a client names `error` is junk like any other, not a packet Socket.IO failed to decode.
    expect(after.malformedPackets).toBe(before.malformedPackets);
    expect(registries(server)).toEqual(baseline);
    expect(client.socket.connected).toBe(true);
  });

  it.each([
    ['a string', () => ({ jobId: 'x'.repeat(MAX_FRAME_BYTES + 1) })],
    ['binary', () => Buffer.alloc(MAX_FRAME_BYTES + 1, 0xab)],
  ])('drops only the connection that sends a frame beyond limits.maxPayloadBytes (%s)', async (_, oversized) => {
    const { server, url, client: bystander, baseline } = await fuzzTarget();
    const sender = await connectClient(url);
    untyped(sender.socket).emit('subscribe-job', oversized(), () => undefined);
    await vi.waitFor(() => expect(sender.disconnectReasons).toEqual(['transport close']));
    await vi.waitFor(() => expect(registries(server)).toEqual(baseline));
    expect(await subscribe(bystander, { jobId: 'after-oversized' })).toMatchObject({ ok: true });
  });

  it('survives arbitrary raw Socket.IO frames and releases whatever the frame opened once the client leaves', async () => {
    const { server, url, client: witness, baseline } = await fuzzTarget();
    const frame = fc.oneof(
      fc.string({ maxLength: 64 }),
      fc.jsonValue({ maxDepth: 2 }).map((value) => `2${JSON.stringify(value)}`),
      fc.tuple(fc.nat(99), junk.filter((value) => !Buffer.isBuffer(value))).map(([id, value]) => `2${id}${JSON.stringify(['subscribe-job', value])}`),
      fc.constantFrom('0', `0{"protocolVersion":${PROTOCOL_VERSION}}`, '1', '2', '2[', '3', '31[]', '4"boom"', '51-["subscribe-job",{"_placeholder":true,"num":0}]', '2["error","boom"]'),
    );
    await fc.assert(
      fc.asyncProperty(frame, async (text) => {
        const client = await connectClient(url);
        try {
          client.socket.io.engine.send(text);
          // The server still answers another client, whatever the frame did to this one.
          expect(await subscribe(witness, { jobId: 'witness' })).toMatchObject({ ok: true });
        } finally {
          client.socket.disconnect();
          await vi.waitFor(() => expect(registries(server)).toMatchObject({ connections: baseline.connections, connectionsByIp: baseline.connectionsByIp }));
          await untyped(witness.socket).timeout(ACK_TIMEOUT_MS).emitWithAck('unsubscribe-job', { jobId: 'witness' });
        }
        expect(registries(server)).toEqual(baseline);
      }),
      SLOW_RUNS,
    );
    expect(registries(server)).toEqual(baseline);
  });

  it('refuses any handshake auth that is not the protocol handshake with a typed connect_error', async () => {
    const { server, url } = await startJobServer(FUZZ_OPTIONS);
    const auth = fc.oneof(
      fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
      fc.record(
        {
          protocolVersion: fc.oneof(fc.constant(PROTOCOL_VERSION), fc.integer(), fc.double(), fc.string({ maxLength: 4 }), fc.constant(null)),
          token: fc.oneof(fc.string({ maxLength: 64 }), fc.integer(), fc.constant(null)),
          extra: fc.jsonValue({ maxDepth: 1 }),
        },
        { requiredKeys: [] },
      ),
    );
    await fc.assert(
      fc.asyncProperty(auth, async (value) => {
        const client = createTestClient(url, { auth: value });
        const outcome = await new Promise<{ connected: true } | { connected: false; data: unknown }>((resolve) => {
          client.socket.once('connect', () => resolve({ connected: true }));
          client.socket.once('connect_error', (error) => resolve({ connected: false, data: (error as Error & { data?: unknown }).data }));
          client.socket.connect();
        });
        client.socket.disconnect();
        await vi.waitFor(() => expect(registries(server)).toMatchObject({ connections: 0, connectionsByIp: 0 }));
        // A well-formed handshake of another protocol version is refused too (UNSUPPORTED_PROTOCOL).
        const parsed = HandshakeAuthSchema.safeParse(value);
        if (parsed.success && parsed.data.protocolVersion === PROTOCOL_VERSION) {
          expect(outcome.connected).toBe(true);
        } else {
          expect(outcome.connected).toBe(false);
          if (!outcome.connected) {
            expectTypedError(ConnectErrorDataSchema.parse(outcome.data), [ErrorCode.UNSUPPORTED_PROTOCOL, ErrorCode.INVALID_PAYLOAD]);
          }
        }
      }),
      // Always tried: a valid shape with the wrong version, and the one handshake that must connect.
      { ...SLOW_RUNS, examples: [[{ protocolVersion: PROTOCOL_VERSION + 1 }], [{ protocolVersion: PROTOCOL_VERSION }]] },
    );
  });

  it('counts any heartbeat answer that is not the probe’s ts as invalid and keeps the probe pending', async () => {
    const { server, url } = await startJobServer({ ...FUZZ_OPTIONS, heartbeat: { intervalMs: 20, timeoutMs: 60_000 } });
    await fc.assert(
      fc.asyncProperty(junk, async (answer) => {
        const before = server.counters().invalidHeartbeatAnswers;
        // Listening before connecting: the welcome heartbeat may come in the same read as the connect packet.
        const client = createTestClient(url, { answerHeartbeats: false });
        client.socket.on('heartbeat', (_probe, ack) => (ack as ((reply: unknown) => void) | undefined)?.(answer));
        client.socket.connect();
        try {
          // The first probe (the welcome heartbeat asks for no answer); the probe stays pending, so no second one comes.
          await vi.waitFor(() => expect(server.counters().invalidHeartbeatAnswers).toBe(before + 1));
          expect(server.stats().pendingAcks).toBe(1);
        } finally {
          client.socket.disconnect();
          await vi.waitFor(() => expect(registries(server)).toMatchObject({ connections: 0, pendingAcks: 0, rateLimitRecords: 0 }));
        }
      }),
      SLOW_RUNS,
    );
  });

  it('disconnects after the grace period whatever a client answers to a notice, leaving no pending ack', async () => {
    const { server, url } = await startJobServer({ ...FUZZ_OPTIONS, session: { idleTimeoutMs: 1, noticeGraceMs: 50 } });
    await fc.assert(
      fc.asyncProperty(junk, async (answer) => {
        const client = await connectClient(url, { answerNotices: false });
        client.socket.once('server-timeout-notice', (_notice, ack) => (ack as (reply: unknown) => void)(answer));
        // Idle after 1 ms: ask until the connection counts as idle, which sends the notice once.
        await vi.waitFor(async () => expect(await server.maintenance.disconnectInactive()).toBe(1), { timeout: SLOW_RUN_BUDGET_MS, interval: 5 });
        await vi.waitFor(() => expect(client.disconnectReasons).toEqual(['io server disconnect']), { timeout: SLOW_RUN_BUDGET_MS, interval: 5 });
        await vi.waitFor(() => expect(registries(server)).toMatchObject({ connections: 0, pendingAcks: 0 }), { timeout: SLOW_RUN_BUDGET_MS, interval: 5 });
      }),
      SLOW_RUNS,
    );
  }, SLOW_RUNS.numRuns * SLOW_RUN_BUDGET_MS);
});
