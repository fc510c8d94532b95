import type { IncomingMessage, ServerResponse } from 'node:http';
import * as promClient from 'prom-client';
import { describe, expectTypeOf, it } from 'vitest';
import {
  createHealthHandler,
  createMemoryMonitor,
  createMetricsHandler,
  type Alert,
  type AlertName,
  type ClearedAlert,
  type HttpHandler,
  type JobServer,
  type MonitorSample,
  type PromClientLike,
  type PromRegistryLike,
  type RemediationResult,
} from '../src/index';

declare const server: JobServer;

describe('memory monitor API types', () => {
  it('types every event payload', () => {
    const monitor = createMemoryMonitor({ server });
    monitor.on('alert', (alert) => expectTypeOf(alert).toEqualTypeOf<Alert>());
    monitor.on('alert-cleared', (alert) => expectTypeOf(alert).toEqualTypeOf<ClearedAlert>());
    monitor.on('remediated', (result) => expectTypeOf(result).toEqualTypeOf<RemediationResult>());
    monitor.on('sample', (sample) => expectTypeOf(sample).toEqualTypeOf<MonitorSample>());
    expectTypeOf(monitor.on('sample', () => undefined)).toEqualTypeOf<() => void>();
    // @ts-expect-error not a monitor event
    monitor.on('alarm', () => undefined);
    expectTypeOf(monitor.history()).toEqualTypeOf<readonly MonitorSample[]>();
    expectTypeOf<MonitorSample['alerts']>().toEqualTypeOf<readonly AlertName[]>();
  });

  it('refuses unknown remediation switches at compile time', () => {
    // @ts-expect-error no such action
    createMemoryMonitor({ server, remediation: { restartProcess: true } });
  });

  it('accepts the real prom-client module and registry', () => {
    expectTypeOf(promClient).toExtend<PromClientLike>();
    expectTypeOf(new promClient.Registry()).toExtend<PromRegistryLike>();
    expectTypeOf(createMetricsHandler(new promClient.Registry())).toEqualTypeOf<HttpHandler>();
  });

  it('fits node:http (and so Express) request listeners', () => {
    expectTypeOf(createHealthHandler(server)).toBeCallableWith({} as IncomingMessage, {} as ServerResponse);
  });
});
