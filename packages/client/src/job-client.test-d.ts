import type { JobUpdate, TimeoutNotice } from '@org/ws-protocol';
import { describe, expectTypeOf, it } from 'vitest';
import type { ConnectionState } from './connection-state';
import type { JobClientError, JobClientErrorCode } from './errors';
import { createJobClient, type JobClient } from './job-client';
import type { JobExpiredOutcome, JobOutcome } from './job-outcome';
import type { JobSubscription } from './job-subscription';

declare const client: JobClient;

describe('JobClient types', () => {
  it('createJobClient takes one options object and returns a JobClient', () => {
    expectTypeOf(createJobClient).parameter(0).toHaveProperty('url');
    expectTypeOf(createJobClient).returns.toEqualTypeOf<JobClient>();
    expectTypeOf(createJobClient).toBeCallableWith({ url: 'http://x', auth: async () => 'token', heartbeat: false });
    expectTypeOf(createJobClient).toBeCallableWith({ urls: ['http://a', 'http://b'], auth: 'token', reconnect: { factor: 3 } });
    // @ts-expect-error auth must be a string or a function returning one
    createJobClient({ url: 'http://x', auth: 42 });
    // @ts-expect-error socket.io's reconnection is the client's own
    createJobClient({ url: 'http://x', socketOptions: { reconnection: true } });
  });

  it('connection state is a discriminated union narrowed by status', () => {
    const state = client.state;
    if (state.status === 'reconnecting') {
      expectTypeOf(state.attempt).toBeNumber();
      expectTypeOf(state.delayMs).toBeNumber();
    }
    if (state.status === 'disconnected') {
      expectTypeOf(state.reason).toEqualTypeOf<'not-started' | 'idle' | 'gave-up' | 'closed'>();
      expectTypeOf(state.error).toEqualTypeOf<JobClientError | undefined>();
    }
    // @ts-expect-error only `reconnecting` has attempt and delay
    void state.delayMs;
  });

  it('on() types each listener by event and returns an unsubscribe function', () => {
    expectTypeOf(client.on('reconnecting', (s) => expectTypeOf(s.delayMs).toBeNumber())).toEqualTypeOf<() => void>();
    client.on('state', (s) => expectTypeOf(s).toEqualTypeOf<ConnectionState>());
    client.on('error', (e) => expectTypeOf(e.code).toEqualTypeOf<JobClientErrorCode>());
    client.on('notice', (n) => expectTypeOf(n).toEqualTypeOf<TimeoutNotice>());
    client.on('disconnected', (s) => expectTypeOf(s.reason).toEqualTypeOf<'not-started' | 'idle' | 'gave-up' | 'closed'>());
    // @ts-expect-error unknown event
    client.on('message', () => undefined);
  });

  it('subscribe, watch and waitFor carry JobUpdate', () => {
    const handle = client.subscribe('job-1', (update) => expectTypeOf(update).toEqualTypeOf<JobUpdate>());
    expectTypeOf(handle).toEqualTypeOf<JobSubscription>();
    expectTypeOf(handle.snapshot).toEqualTypeOf<JobUpdate | null>();
    expectTypeOf(handle.on('end', (o) => expectTypeOf(o).toEqualTypeOf<JobOutcome>())).toEqualTypeOf<() => void>();
    expectTypeOf(client.watch('job-1')).toEqualTypeOf<AsyncIterableIterator<JobUpdate>>();
    expectTypeOf(client.waitFor('job-1', { timeoutMs: 10, signal: AbortSignal.timeout(10) })).toEqualTypeOf<Promise<JobUpdate>>();
    expectTypeOf(client.close()).toEqualTypeOf<Promise<void>>();
  });

  it('outcomes and error codes are closed unions', () => {
    expectTypeOf<JobOutcome['kind']>().toEqualTypeOf<'terminal' | 'expired' | 'error'>();
    expectTypeOf<Extract<JobOutcome, { kind: 'expired' }>['reason']>().toEqualTypeOf<'stale' | 'gone'>();
    expectTypeOf<JobClientError['expired']>().toEqualTypeOf<JobExpiredOutcome | undefined>();
    expectTypeOf<NonNullable<JobClientError['expired']>>().toEqualTypeOf<Extract<JobOutcome, { kind: 'expired' }>>();
    expectTypeOf<NonNullable<JobClientError['expired']>['lastSeq']>().toBeNumber();
    expectTypeOf<'JOB_FAILED' | 'TOO_MANY_CONNECTIONS' | 'CLOSED'>().toExtend<JobClientErrorCode>();
    expectTypeOf<JobClient>().toHaveProperty(Symbol.asyncDispose);
  });
});
