import { describe, expectTypeOf, it } from 'vitest';
import type { OptionsRejectingUndefined } from '../../../test/support/optional-options';
import type { JobClientOptions } from './client-options';
import type { JobClientErrorDetails } from './errors';
import { createJobClient, type JobClient } from './job-client';
import type { WaitForOptions } from './wait-for-job';
import type { WatchOptions } from './watch-job';

type Group<T> = Exclude<T, undefined | false>;

describe('client option types under exactOptionalPropertyTypes', () => {
  it('every optional option, nested ones included, takes an explicit undefined', () => {
    expectTypeOf<OptionsRejectingUndefined<JobClientOptions>>().toEqualTypeOf<never>();
    expectTypeOf<OptionsRejectingUndefined<Group<JobClientOptions['reconnect']>>>().toEqualTypeOf<never>();
    expectTypeOf<OptionsRejectingUndefined<Group<JobClientOptions['heartbeat']>>>().toEqualTypeOf<never>();
    expectTypeOf<OptionsRejectingUndefined<Group<JobClientOptions['socketOptions']>>>().toEqualTypeOf<never>();
    expectTypeOf<OptionsRejectingUndefined<WatchOptions>>().toEqualTypeOf<never>();
    expectTypeOf<OptionsRejectingUndefined<WaitForOptions>>().toEqualTypeOf<never>();
    expectTypeOf<OptionsRejectingUndefined<JobClientErrorDetails>>().toEqualTypeOf<never>();
  });

  it('a strict consumer passes possibly-undefined values straight through', () => {
    const env: Record<string, string | undefined> = {};
    const token: string | undefined = env.TOKEN;
    const timeoutMs: number | undefined = env.TIMEOUT === undefined ? undefined : Number(env.TIMEOUT);
    const signal: AbortSignal | undefined = undefined;
    const client: JobClient = createJobClient({
      url: 'http://localhost:3000',
      auth: token,
      ackTimeoutMs: timeoutMs,
      reconnect: { maxDelayMs: timeoutMs },
      heartbeat: { graceMs: timeoutMs },
      socketOptions: { path: env.SOCKET_PATH },
      autoConnect: undefined,
    });
    void client.waitFor('job-1', { timeoutMs, signal });
    void client.watch('job-1', { signal });
    // @ts-expect-error undefined is accepted, a wrong type is not
    createJobClient({ url: 'http://localhost:3000', ackTimeoutMs: '10' });
  });
});
