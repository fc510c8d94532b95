import { describe, expectTypeOf, it } from 'vitest';
import type { ProtocolError } from './error-codes';
import type { JobUpdate } from './job-update';
import type { SubscribeJobAck, SubscribeJobOk, SubscribeJobRequest } from './subscribe-job';
import type { UnsubscribeJobAck } from './unsubscribe-job';

describe('subscribe-job types', () => {
  it('has the request fields with lastSeq and epoch optional', () => {
    expectTypeOf<SubscribeJobRequest>().toEqualTypeOf<{ jobId: string; lastSeq?: number | undefined; epoch?: string | undefined }>();
  });

  it('discriminates the reply on ok', () => {
    const reply = {} as SubscribeJobAck;
    if (reply.ok) {
      expectTypeOf(reply).toEqualTypeOf<SubscribeJobOk>();
      expectTypeOf(reply.snapshot).toEqualTypeOf<JobUpdate | null>();
      expectTypeOf(reply.epoch).toEqualTypeOf<string | null>();
      expectTypeOf(reply.updates).toEqualTypeOf<JobUpdate[]>();
      expectTypeOf(reply.resync).toBeBoolean();
    } else {
      expectTypeOf(reply.error).toEqualTypeOf<ProtocolError>();
      // @ts-expect-error an error reply has no snapshot
      void reply.snapshot;
    }
  });

  it('discriminates the unsubscribe reply on ok', () => {
    expectTypeOf<Extract<UnsubscribeJobAck, { ok: true }>>().toEqualTypeOf<{ ok: true }>();
    expectTypeOf<Extract<UnsubscribeJobAck, { ok: false }>>().toEqualTypeOf<{ ok: false; error: ProtocolError }>();
  });
});
