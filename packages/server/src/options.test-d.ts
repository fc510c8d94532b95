import { describe, expectTypeOf, it } from 'vitest';
import type { OptionsRejectingUndefined } from '../../../test/support/optional-options';
import {
  createJobServer,
  type CloseOnSignalsOptions,
  type CloseOptions,
  type HealthHandlerOptions,
  type JobPublisherOptions,
  type JobServerOptions,
  type JobServerRedisOptions,
  type ListenOptions,
  type MemoryJobStoreOptions,
  type MemoryMonitorOptions,
  type PrometheusMetricsOptions,
  type RedisJobStoreOptions,
} from './index';
import type { ExpectNoLeaksOptions, LeakChurnOptions, OpenSubscribedClientsOptions } from './testing/index';

type Group<T> = Exclude<T, undefined | boolean>;
type Limits = Group<JobServerOptions['limits']>;

describe('server option types under exactOptionalPropertyTypes', () => {
  it('every optional option of createJobServer, nested groups included, takes an explicit undefined', () => {
    expectTypeOf<OptionsRejectingUndefined<JobServerOptions>>().toEqualTypeOf<never>();
    expectTypeOf<OptionsRejectingUndefined<Group<JobServerOptions['heartbeat']>>>().toEqualTypeOf<never>();
    expectTypeOf<OptionsRejectingUndefined<Group<JobServerOptions['session']>>>().toEqualTypeOf<never>();
    expectTypeOf<OptionsRejectingUndefined<Group<JobServerOptions['sweep']>>>().toEqualTypeOf<never>();
    expectTypeOf<OptionsRejectingUndefined<Limits>>().toEqualTypeOf<never>();
    expectTypeOf<OptionsRejectingUndefined<Group<Limits['rateLimit']>>>().toEqualTypeOf<never>();
    expectTypeOf<OptionsRejectingUndefined<Group<Limits['outbound']>>>().toEqualTypeOf<never>();
    expectTypeOf<OptionsRejectingUndefined<Group<Limits['overload']>>>().toEqualTypeOf<never>();
    expectTypeOf<OptionsRejectingUndefined<Group<JobServerOptions['jobs']>>>().toEqualTypeOf<never>();
    expectTypeOf<OptionsRejectingUndefined<Group<JobServerOptions['shutdown']>>>().toEqualTypeOf<never>();
    expectTypeOf<OptionsRejectingUndefined<Group<JobServerOptions['socketIoOptions']>>>().toEqualTypeOf<never>();
    expectTypeOf<OptionsRejectingUndefined<JobServerRedisOptions>>().toEqualTypeOf<never>();
  });

  it('every optional option of the other entry points takes an explicit undefined', () => {
    expectTypeOf<OptionsRejectingUndefined<ListenOptions>>().toEqualTypeOf<never>();
    expectTypeOf<OptionsRejectingUndefined<CloseOptions>>().toEqualTypeOf<never>();
    expectTypeOf<OptionsRejectingUndefined<CloseOnSignalsOptions>>().toEqualTypeOf<never>();
    expectTypeOf<OptionsRejectingUndefined<MemoryMonitorOptions>>().toEqualTypeOf<never>();
    expectTypeOf<OptionsRejectingUndefined<Group<MemoryMonitorOptions['alerts']>>>().toEqualTypeOf<never>();
    expectTypeOf<OptionsRejectingUndefined<Group<MemoryMonitorOptions['remediation']>>>().toEqualTypeOf<never>();
    expectTypeOf<OptionsRejectingUndefined<PrometheusMetricsOptions>>().toEqualTypeOf<never>();
    expectTypeOf<OptionsRejectingUndefined<HealthHandlerOptions>>().toEqualTypeOf<never>();
    expectTypeOf<OptionsRejectingUndefined<JobPublisherOptions>>().toEqualTypeOf<never>();
    expectTypeOf<OptionsRejectingUndefined<Group<JobPublisherOptions['jobs']>>>().toEqualTypeOf<never>();
    expectTypeOf<OptionsRejectingUndefined<Group<JobPublisherOptions['sweep']>>>().toEqualTypeOf<never>();
    expectTypeOf<OptionsRejectingUndefined<RedisJobStoreOptions>>().toEqualTypeOf<never>();
    expectTypeOf<OptionsRejectingUndefined<MemoryJobStoreOptions>>().toEqualTypeOf<never>();
    expectTypeOf<OptionsRejectingUndefined<ExpectNoLeaksOptions>>().toEqualTypeOf<never>();
    expectTypeOf<OptionsRejectingUndefined<LeakChurnOptions>>().toEqualTypeOf<never>();
    expectTypeOf<OptionsRejectingUndefined<OpenSubscribedClientsOptions>>().toEqualTypeOf<never>();
  });

  it('a strict consumer passes possibly-undefined values straight through', async () => {
    const env: Record<string, string | undefined> = {};
    const timeoutMs: number | undefined = env.TIMEOUT === undefined ? undefined : Number(env.TIMEOUT);
    const server = createJobServer({
      heartbeat: { intervalMs: timeoutMs },
      limits: { maxConnectionsPerIp: timeoutMs, rateLimit: { events: timeoutMs } },
      logger: undefined,
      authenticate: undefined,
      socketIoOptions: { path: env.SOCKET_PATH },
    });
    await server.listen({ port: timeoutMs, host: env.HOST });
    await server.close({ timeoutMs });
    // @ts-expect-error undefined is accepted, a wrong type is not
    createJobServer({ heartbeat: { intervalMs: '10' } });
  });
});
