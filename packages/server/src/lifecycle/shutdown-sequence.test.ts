import { afterEach, describe, expect, it, vi } from 'vitest';
import { ErrorReporter } from '../error-reporter';
import { safeLogger, silentLogger, type JobServerLogger } from '../logger';
import { resolveOptions } from '../options';
import { emptyCounters } from '../stats';
import { ConnectionLifecycle } from './connection-lifecycle';
import { ConnectionRegistry } from './connection-registry';
import { IpConnectionLimit } from './ip-limit';
import { TokenBucketLimiter } from './rate-limit';
import { ServerPhase } from './server-phase';
import { ShutdownSequence } from './shutdown-sequence';

afterEach(() => {
  vi.useRealTimers();
});

/** A shutdown of a server without connections whose steps are recorded in `steps`. */
function setUp(sweepStop: () => Promise<void>) {
  const opts = resolveOptions({});
  const phase = new ServerPhase();
  const registry = new ConnectionRegistry(0);
  const warnings: string[] = [];
  const logger = safeLogger({ ...silentLogger, warn: (_fields: object, message: string) => warnings.push(message) } as JobServerLogger);
  const reporter = new ErrorReporter(phase, emptyCounters(), logger);
  const connections = new ConnectionLifecycle({
    phase,
    now: Date.now,
    registry,
    ipLimit: new IpConnectionLimit(10),
    limiter: new TokenBucketLimiter(opts.limits.rateLimit),
    options: opts,
    handlers: {},
    counters: emptyCounters(),
    logger,
    reporter,
    onAccepted: () => undefined,
    overloadedRetryAfterMs: () => undefined,
  });
  const steps: string[] = [];
  const shutdown = new ShutdownSequence({
    phase,
    now: Date.now,
    logger,
    registry,
    connections,
    retryWindowMs: 0,
    defaultTimeoutMs: 0,
    ticker: { stop: () => void steps.push('ticker stopped') },
    sweeper: {
      stop: () => {
        steps.push('sweeper stopping');
        return sweepStop();
      },
    },
    countsRefresher: { stop: async () => void steps.push('refresher stopped') },
    closeTransport: async () => void steps.push(`transport closed while ${phase.current}`),
    closeBackends: async () => void steps.push('backends closed'),
  });
  return { shutdown, phase, steps, warnings };
}

describe('ShutdownSequence', () => {
  it('stops the timers, closes the transport, then the backends, and ends closed', async () => {
    const { shutdown, phase, steps, warnings } = setUp(async () => undefined);
    await shutdown.run(1_000);
    expect(steps).toEqual(['ticker stopped', 'sweeper stopping', 'refresher stopped', 'transport closed while closing', 'backends closed']);
    expect(phase.current).toBe('closed');
    expect(shutdown.timerArmed).toBe(false);
    expect(warnings).toEqual([]);
  });

  it('gives up on a sweep that outlives the deadline, says so, and leaves no timer', async () => {
    vi.useFakeTimers();
    const { shutdown, phase, steps, warnings } = setUp(() => new Promise<void>(() => undefined));
    const done = shutdown.run(1_000);
    await vi.advanceTimersByTimeAsync(0);
    expect(shutdown.timerArmed).toBe(true);
    expect(phase.current).toBe('closing');

    await vi.advanceTimersByTimeAsync(1_000);
    await done;

    expect(warnings).toEqual(['job server: closing while a sweep is still running past the shutdown deadline']);
    expect(steps.at(-1)).toBe('backends closed');
    expect(phase.current).toBe('closed');
    expect(shutdown.timerArmed).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });
});
