import { parseArgs } from 'node:util';
import type { JobServerOptions } from '@org/ws-server';
import * as z from 'zod';

/** Everything the demo can be told on the command line or through the environment. */
export interface DemoConfig {
  /** TCP port of the demo server. */
  port: number;
  /** Interface to bind. */
  host: string;
  /** Simulated job pacing and outcome. */
  jobs: { stepMs: number; steps: number; failureRate: number };
  /** Lifecycle settings handed to `createJobServer`; unset ones keep the server's defaults. */
  server: {
    heartbeat: { intervalMs?: number; timeoutMs?: number };
    session: { idleTimeoutMs?: number; maxInactivityMs?: number };
    sweep: { intervalMs?: number };
    rateLimit: { events?: number; windowMs?: number };
    shutdown: { timeoutMs?: number; retryWindowMs?: number };
  };
  /** Memory monitor sampling. */
  monitor: { intervalMs: number; historySize: number; maxProcessingJobs: number; heapGrowthRatio: number };
}

/** Demo defaults: realistic job pacing, the job server's own lifecycle defaults, a 1 s stats sample. */
export const DEMO_DEFAULTS = {
  port: 3000,
  host: '127.0.0.1',
  jobs: { stepMs: 600, steps: 10, failureRate: 0.2 },
  monitor: { intervalMs: 1000, historySize: 120, maxProcessingJobs: 8, heapGrowthRatio: 4 },
} as const;

/** Lifecycle settings of `--fast`: every notice and limit shows up within seconds. */
export const FAST_LIFECYCLE = {
  heartbeat: { intervalMs: 2000, timeoutMs: 1000 },
  session: { idleTimeoutMs: 10_000, maxInactivityMs: 60_000 },
  sweep: { intervalMs: 1000 },
  rateLimit: {},
  shutdown: { timeoutMs: 3000, retryWindowMs: 2000 },
} as const satisfies DemoConfig['server'];

/** A flag or environment variable the demo did not accept. */
export class DemoConfigError extends Error {
  override name = 'DemoConfigError';
}

/** One setting: its flag, its environment variable and how its value is checked. */
interface Setting {
  flag: string;
  env: string;
  help: string;
  schema: z.ZodType<number>;
}

const ms = z.coerce.number().int().positive().max(2 ** 31 - 1);
const count = z.coerce.number().int().positive();

/** Every numeric setting, flag → env var; the README lists the same table. */
const SETTINGS = {
  port: { flag: 'port', env: 'PORT', help: 'port to listen on (default 3000)', schema: z.coerce.number().int().min(0).max(65_535) },
  stepMs: { flag: 'step-ms', env: 'DEMO_STEP_MS', help: 'average ms between two updates of a job (default 600)', schema: ms },
  steps: { flag: 'steps', env: 'DEMO_STEPS', help: 'progress steps of a job (default 10)', schema: count.max(100) },
  failureRate: { flag: 'failure-rate', env: 'DEMO_FAILURE_RATE', help: 'share of jobs that fail, 0-1 (default 0.2)', schema: z.coerce.number().min(0).max(1) },
  heartbeatIntervalMs: { flag: 'heartbeat-interval', env: 'DEMO_HEARTBEAT_INTERVAL_MS', help: 'ms between heartbeats (default 30000)', schema: ms },
  heartbeatTimeoutMs: { flag: 'heartbeat-timeout', env: 'DEMO_HEARTBEAT_TIMEOUT_MS', help: 'ms a heartbeat answer may take (default 10000)', schema: ms },
  idleTimeoutMs: { flag: 'idle-timeout', env: 'DEMO_IDLE_TIMEOUT_MS', help: 'ms without subscriptions before the idle notice (default 2 h)', schema: ms },
  sessionTimeoutMs: { flag: 'session-timeout', env: 'DEMO_SESSION_TIMEOUT_MS', help: 'ms without activity before the session-expired notice (default 24 h)', schema: ms },
  sweepIntervalMs: { flag: 'sweep-interval', env: 'DEMO_SWEEP_INTERVAL_MS', help: 'ms between sweeps that send idle/session notices (default 5 min)', schema: ms },
  rateLimitEvents: { flag: 'rate-limit', env: 'DEMO_RATE_LIMIT_EVENTS', help: 'events per window per connection (default 50)', schema: count },
  rateLimitWindowMs: { flag: 'rate-limit-window', env: 'DEMO_RATE_LIMIT_WINDOW_MS', help: 'rate-limit window in ms (default 10000)', schema: ms },
  shutdownTimeoutMs: { flag: 'shutdown-timeout', env: 'DEMO_SHUTDOWN_TIMEOUT_MS', help: 'ms the shutdown waits for notice acks (default 30000)', schema: ms },
  shutdownRetryWindowMs: { flag: 'shutdown-retry-window', env: 'DEMO_SHUTDOWN_RETRY_WINDOW_MS', help: 'ms over which clients are told to come back (default 10000)', schema: ms },
  monitorIntervalMs: { flag: 'monitor-interval', env: 'DEMO_MONITOR_INTERVAL_MS', help: 'ms between memory-monitor samples (default 1000)', schema: ms },
  maxProcessingJobs: { flag: 'alert-max-jobs', env: 'DEMO_ALERT_MAX_JOBS', help: 'unfinished jobs above which the monitor alerts (default 8)', schema: count },
} satisfies Record<string, Setting>;

type SettingName = keyof typeof SETTINGS;

/** Flags and environment variables of the demo, for `--help`. */
export function describeSettings(): string {
  const row = (flag: string, env: string, help: string): string => `  ${flag.padEnd(28)} ${env.padEnd(30)} ${help}`;
  return [
    'Usage: pnpm demo [flags]   (a flag wins over its environment variable)',
    row('--fast', 'DEMO_FAST=1', 'heartbeats, idle notices and shutdown within seconds'),
    row('--host <address>', 'HOST', 'interface to bind (default 127.0.0.1)'),
    ...Object.values(SETTINGS).map(({ flag, env, help }) => row(`--${flag} <n>`, env, help)),
  ].join('\n');
}

/**
 * Reads the demo configuration: a flag wins over its environment variable, which wins over the default.
 * @throws DemoConfigError naming the flag or variable that is unknown or out of range.
 */
export function parseDemoConfig(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): DemoConfig {
  const flagOptions = Object.fromEntries(Object.values(SETTINGS).map(({ flag }) => [flag, { type: 'string' as const }]));
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      options: { ...flagOptions, host: { type: 'string' }, fast: { type: 'boolean' } },
      strict: true,
      allowPositionals: false,
    }).values as Record<string, string | boolean | undefined>;
  } catch (error) {
    throw new DemoConfigError(error instanceof Error ? error.message : String(error), { cause: error });
  }

  const read = (name: SettingName): number | undefined => {
    const { flag, env: variable, schema } = SETTINGS[name];
    const fromFlag = values[flag];
    const raw = typeof fromFlag === 'string' ? fromFlag : env[variable];
    if (raw === undefined || raw === '') return undefined;
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      const source = typeof fromFlag === 'string' ? `--${flag}` : variable;
      throw new DemoConfigError(`${source}=${raw}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    }
    return parsed.data;
  };

  const fast = values.fast === true || env.DEMO_FAST === '1' || env.DEMO_FAST === 'true';
  const base: DemoConfig['server'] = fast
    ? structuredClone(FAST_LIFECYCLE)
    : { heartbeat: {}, session: {}, sweep: {}, rateLimit: {}, shutdown: {} };
  const override = <T extends object>(target: T, key: keyof T, value: number | undefined): void => {
    if (value !== undefined) (target as Record<keyof T, number>)[key] = value;
  };
  override(base.heartbeat, 'intervalMs', read('heartbeatIntervalMs'));
  override(base.heartbeat, 'timeoutMs', read('heartbeatTimeoutMs'));
  override(base.session, 'idleTimeoutMs', read('idleTimeoutMs'));
  override(base.session, 'maxInactivityMs', read('sessionTimeoutMs'));
  override(base.sweep, 'intervalMs', read('sweepIntervalMs'));
  override(base.rateLimit, 'events', read('rateLimitEvents'));
  override(base.rateLimit, 'windowMs', read('rateLimitWindowMs'));
  override(base.shutdown, 'timeoutMs', read('shutdownTimeoutMs'));
  override(base.shutdown, 'retryWindowMs', read('shutdownRetryWindowMs'));

  const host = typeof values.host === 'string' ? values.host : env.HOST || DEMO_DEFAULTS.host;
  return {
    port: read('port') ?? DEMO_DEFAULTS.port,
    host,
    jobs: {
      stepMs: read('stepMs') ?? DEMO_DEFAULTS.jobs.stepMs,
      steps: read('steps') ?? DEMO_DEFAULTS.jobs.steps,
      failureRate: read('failureRate') ?? DEMO_DEFAULTS.jobs.failureRate,
    },
    server: base,
    monitor: {
      intervalMs: read('monitorIntervalMs') ?? DEMO_DEFAULTS.monitor.intervalMs,
      historySize: DEMO_DEFAULTS.monitor.historySize,
      maxProcessingJobs: read('maxProcessingJobs') ?? DEMO_DEFAULTS.monitor.maxProcessingJobs,
      heapGrowthRatio: DEMO_DEFAULTS.monitor.heapGrowthRatio,
    },
  };
}

/** The `createJobServer` options a configuration stands for (without the store and hooks the demo adds). */
export function jobServerOptionsOf(config: DemoConfig): JobServerOptions {
  const { heartbeat, session, sweep, rateLimit, shutdown } = config.server;
  return { heartbeat, session, sweep, limits: { rateLimit }, shutdown };
}

/** The default configuration (no flags, no environment). */
export function defaultDemoConfig(): DemoConfig {
  return parseDemoConfig([], {});
}
