import type { JobUpdate, ProtocolError } from '@org/ws-protocol';
import { describe, expectTypeOf, it } from 'vitest';
import type { JobServer, JobServerOptions, JobServerStats } from './index';

declare const server: JobServer;

/** One object type out of an intersection, to compare it with `toEqualTypeOf`. */
type Flat<T> = { [K in keyof T]: T[K] };

describe('JobServer types', () => {
  it('types update, getJob and stats', () => {
    expectTypeOf<Flat<Parameters<typeof server.update<'a'>>[1]>>().toEqualTypeOf<{ status: 'queued' | 'running' | 'completed' | 'failed' | 'cancelled'; progress?: number | undefined; data?: JobUpdate['data'] }>();
    expectTypeOf(server.update('a', { status: 'running' })).resolves.toMatchTypeOf<JobUpdate>();
    expectTypeOf(server.getJob('a')).resolves.toMatchTypeOf<JobUpdate | null>();
    expectTypeOf(server.stats()).toEqualTypeOf<JobServerStats>();
    // @ts-expect-error: an unknown status does not compile
    void server.update('a', { status: 'paused' });
  });

  it('types load shedding: a hold returns its release', () => {
    expectTypeOf(server.maintenance.holdShedding('event-loop-lag')).toEqualTypeOf<() => void>();
    expectTypeOf(server.maintenance.startShedding('event-loop-lag')).toEqualTypeOf<void>();
    expectTypeOf(server.maintenance.sheddingReasons()).toEqualTypeOf<string[]>();
  });

  it('types lifecycle listeners by event name and returns an unsubscribe function', () => {
    const off = server.on('disconnect', (event) => {
      expectTypeOf(event.reason).toBeString();
      expectTypeOf(event.socketId).toBeString();
    });
    expectTypeOf(off).toEqualTypeOf<() => void>();
    server.on('unsubscribe', (event) => expectTypeOf(event.reason).toEqualTypeOf<'request' | 'job-expired'>());
    // @ts-expect-error: no such event
    server.on('explode', () => undefined);
  });

  it('types the Socket.IO server with the protocol event maps', () => {
    server.io.on('connection', (socket) => {
      socket.emit('job-expired', { jobId: 'a', lastSeq: 1, reason: 'stale' });
      // @ts-expect-error: not a server-to-client event
      socket.emit('subscribe-job', { jobId: 'a' });
    });
  });

  it('groups options with units in their names', () => {
    expectTypeOf<NonNullable<JobServerOptions['heartbeat']>>().toEqualTypeOf<{ intervalMs?: number; timeoutMs?: number }>();
    expectTypeOf<ProtocolError['code']>().toExtend<string>();
  });
});
