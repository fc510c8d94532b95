import type { Server, Socket as ServerSocket } from 'socket.io';
import type { Socket as ClientSocket } from 'socket.io-client';
import { describe, expectTypeOf, it } from 'vitest';
import type { ClientToServerEvents, ServerToClientEvents } from './event-maps';
import type { EventName } from './event-names';
import type { Heartbeat, HeartbeatAck } from './heartbeat';
import type { JobExpired, JobUpdate } from './job-update';
import type { SubscribeJobAck, SubscribeJobRequest } from './subscribe-job';
import type { TimeoutNotice, TimeoutNoticeAck } from './timeout-notice';
import type { UnsubscribeJobAck, UnsubscribeJobRequest } from './unsubscribe-job';

declare const io: Server<ClientToServerEvents, ServerToClientEvents>;
declare const serverSocket: ServerSocket<ClientToServerEvents, ServerToClientEvents>;
declare const clientSocket: ClientSocket<ServerToClientEvents, ClientToServerEvents>;
declare const update: JobUpdate;

describe('event maps', () => {
  it('name exactly the events of EventName, split by direction', () => {
    expectTypeOf<keyof ServerToClientEvents | keyof ClientToServerEvents>().toEqualTypeOf<EventName>();
    expectTypeOf<keyof ClientToServerEvents>().toEqualTypeOf<'subscribe-job' | 'unsubscribe-job'>();
  });

  it('give each event its payload and ack types', () => {
    expectTypeOf<Parameters<ClientToServerEvents['subscribe-job']>>().toEqualTypeOf<[SubscribeJobRequest, (reply: SubscribeJobAck) => void]>();
    expectTypeOf<Parameters<ClientToServerEvents['unsubscribe-job']>>().toEqualTypeOf<[UnsubscribeJobRequest, (reply: UnsubscribeJobAck) => void]>();
    expectTypeOf<Parameters<ServerToClientEvents['job-update']>>().toEqualTypeOf<[JobUpdate]>();
    expectTypeOf<Parameters<ServerToClientEvents['job-expired']>>().toEqualTypeOf<[JobExpired]>();
    expectTypeOf<Parameters<ServerToClientEvents['heartbeat']>>().toEqualTypeOf<[Heartbeat, ((reply: HeartbeatAck) => void)?]>();
    expectTypeOf<Parameters<ServerToClientEvents['server-timeout-notice']>>().toEqualTypeOf<[TimeoutNotice, (reply: TimeoutNoticeAck) => void]>();
  });
});

describe('as socket.io Server generics', () => {
  it('types the listeners of client events', () => {
    io.on('connection', (socket) => {
      socket.on('subscribe-job', (request, ack) => {
        expectTypeOf(request).toEqualTypeOf<SubscribeJobRequest>();
        expectTypeOf(ack).parameter(0).toEqualTypeOf<SubscribeJobAck>();
        ack({ ok: false, error: { code: 'FORBIDDEN', message: 'no such job' } });
        // @ts-expect-error an error reply needs a known code
        ack({ ok: false, error: { code: 'NOPE', message: 'x' } });
      });
      socket.on('unsubscribe-job', (request, ack) => {
        expectTypeOf(request.jobId).toBeString();
        ack({ ok: true });
      });
      // @ts-expect-error heartbeat is a server event, not one a client emits
      socket.on('heartbeat', () => undefined);
    });
  });

  it('types what the server emits and broadcasts', () => {
    io.to('job:1').emit('job-update', update);
    serverSocket.emit('job-expired', { jobId: 'j', lastSeq: 3, reason: 'stale' });
    serverSocket.emit('heartbeat', { ts: 1 }, (reply) => expectTypeOf(reply).toEqualTypeOf<HeartbeatAck>());
    // The welcome heartbeat asks for no answer.
    serverSocket.emit('heartbeat', { ts: 1, intervalMs: 30_000, timeoutMs: 10_000 });
    // @ts-expect-error a job update needs seq, status and at
    serverSocket.emit('job-update', { jobId: 'j' });
    // @ts-expect-error not an event of the protocol
    serverSocket.emit('job-progress', update);
    // @ts-expect-error subscribe-job is sent by clients
    serverSocket.emit('subscribe-job', { jobId: 'j' }, () => undefined);
  });

  it('types acknowledgements awaited with a timeout', () => {
    expectTypeOf(serverSocket.timeout(1000).emitWithAck('server-timeout-notice', { reason: 'shutdown', graceMs: 1000, reconnect: true })).resolves.toEqualTypeOf<TimeoutNoticeAck>();
    serverSocket.timeout(1000).emit('server-timeout-notice', { reason: 'idle', graceMs: 1000, reconnect: false }, (error, reply) => {
      expectTypeOf(error).toEqualTypeOf<Error>();
      expectTypeOf(reply).toEqualTypeOf<TimeoutNoticeAck>();
    });
    // A heartbeat's acknowledgement is optional (the welcome heartbeat asks for none), which Socket.IO's timeout helpers do not type.
    // @ts-expect-error heartbeat is not an event with a required acknowledgement
    void serverSocket.timeout(1000).emitWithAck('heartbeat', { ts: 1 });
  });
});

describe('as socket.io-client Socket generics', () => {
  it('types what the client emits and the replies it awaits', () => {
    clientSocket.emit('subscribe-job', { jobId: 'j', lastSeq: 4 }, (reply) => expectTypeOf(reply).toEqualTypeOf<SubscribeJobAck>());
    expectTypeOf(clientSocket.emitWithAck('subscribe-job', { jobId: 'j' })).resolves.toEqualTypeOf<SubscribeJobAck>();
    clientSocket.timeout(500).emit('unsubscribe-job', { jobId: 'j' }, (error, reply) => {
      expectTypeOf(error).toEqualTypeOf<Error>();
      expectTypeOf(reply).toEqualTypeOf<UnsubscribeJobAck>();
    });
    // socket.io-client 4.8 loses the reply type of timeout().emitWithAck; callers parse the reply with its schema.
    expectTypeOf(clientSocket.timeout(500).emitWithAck('unsubscribe-job', { jobId: 'j' })).resolves.toBeAny();
    // @ts-expect-error lastSeq is a number
    clientSocket.emit('subscribe-job', { jobId: 'j', lastSeq: '4' }, () => undefined);
    // @ts-expect-error job-update is sent by servers
    clientSocket.emit('job-update', update);
  });

  it('types the listeners of server events and their acks', () => {
    clientSocket.on('job-update', (received) => expectTypeOf(received).toEqualTypeOf<JobUpdate>());
    clientSocket.on('heartbeat', (probe, ack) => ack?.({ ts: probe.ts }));
    clientSocket.on('server-timeout-notice', (notice, ack) => {
      expectTypeOf(notice.reason).toEqualTypeOf<'idle' | 'session-expired' | 'shutdown' | 'rate-limited'>();
      ack({ reason: notice.reason });
    });
    // @ts-expect-error the heartbeat answer echoes ts
    clientSocket.on('heartbeat', (_probe, ack) => ack?.({ at: 1 }));
    // @ts-expect-error subscribe-job is not a server event
    clientSocket.on('subscribe-job', () => undefined);
  });
});
