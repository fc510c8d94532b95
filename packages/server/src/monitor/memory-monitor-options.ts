import { safeParseWithMessages } from '@org/ws-protocol';
import * as z from 'zod/v4/mini';
import type { AlertThresholds } from './alert-rules';
import { MemoryMonitorOptionsError } from '../errors';
import type { AnyJobServer } from '../job-server-api';
import type { JobServerLogger } from '../logger';
import { functionOption, loggerOption } from '../option-schemas';
import { firstOptionIssue } from '../option-path';
import type { RemediationAction } from './remediation';

/** Every default of `createMemoryMonitor`, in one place (SPEC §2). */
export const MEMORY_MONITOR_DEFAULTS = {
  intervalMs: 30_000,
  historySize: 120,
  alerts: { maxConnections: 1000, heapGrowthRatio: 1.5, maxInactiveRatio: 0.4, maxProcessingJobs: 100 },
  remediation: { purgeRateLimits: true, purgeStaleJobs: true, disconnectInactive: true, runGc: true },
  shedLoad: true,
} as const;

/** Heap and resident set size, as `process.memoryUsage()` reports them. */
export interface MemoryReading {
  /** V8 heap in use, in bytes. */
  heapUsed: number;
  /** Resident set size, in bytes. */
  rss: number;
}

/** Options of `createMemoryMonitor`; all but `server` are optional. */
export interface MemoryMonitorOptions {
  /** The job server to watch and remediate. */
  server: AnyJobServer;
  /** Time between samples (one timer). @default 30000 */
  intervalMs?: number | undefined;
  /** Samples kept in the history ring. @default 120 (one hour at 30 s) */
  historySize?: number | undefined;
  /** Alert thresholds; an alert holds while its value is strictly above the threshold. */
  alerts?: {
    /** Live connections. @default 1000 */
    maxConnections?: number | undefined;
    /** Heap in use as a multiple of the heap baseline. @default 1.5 */
    heapGrowthRatio?: number | undefined;
    /** Heap baseline in bytes. @default the heap in use at the first sample, i.e. after start-up */
    heapBaselineBytes?: number | undefined;
    /** Share of connections the server considers inactive (`maintenance.inactiveConnections()`), 0..1. @default 0.4 */
    maxInactiveRatio?: number | undefined;
    /** Jobs not in a terminal status. @default 100 */
    maxProcessingJobs?: number | undefined;
  } | undefined;
  /** Remediation while an alert holds: `false` turns it off, or switch actions one by one. @default every action on */
  remediation?:
    | boolean
    | {
        /** Drop rate-limit buckets that refilled completely. @default true */
        purgeRateLimits?: boolean | undefined;
        /** Drop stale jobs and finished jobs past retention. @default true */
        purgeStaleJobs?: boolean | undefined;
        /** Send `idle`/`session-expired` notices to inactive connections, then disconnect them. @default true */
        disconnectInactive?: boolean | undefined;
        /** Run a full garbage collection when the process was started with `--expose-gc`. @default true */
        runGc?: boolean | undefined;
      }
    | undefined;
  /** Structured logger with pino's call shape. @default silent */
  logger?: JobServerLogger | undefined;
  /** Clock in ms since the epoch. @default Date.now */
  now?: (() => number) | undefined;
  /** Memory reader. @default process.memoryUsage */
  memoryUsage?: (() => MemoryReading) | undefined;
  /** While the `heap` alert holds, the server sheds load (its own `maintenance.holdShedding('heap-alert')`, so that another monitor's alert clearing does not end it): new connections and subscriptions get `OVERLOADED`. @default true */
  shedLoad?: boolean | undefined;
  /** Garbage collection for `runGc`. @default globalThis.gc, present with `node --expose-gc` */
  gc?: (() => void) | undefined;
}

/** Monitor options after defaults were applied. */
export interface ResolvedMemoryMonitorOptions {
  server: AnyJobServer;
  intervalMs: number;
  historySize: number;
  alerts: AlertThresholds & { heapBaselineBytes: number | undefined };
  remediation: Record<RemediationAction, boolean>;
  logger: JobServerLogger;
  now: () => number;
  memoryUsage: () => MemoryReading;
  shedLoad: boolean;
  gc: (() => void) | undefined;
}

const MAX_DURATION_MS = 2 ** 31 - 1;
const MAX_HISTORY_SIZE = 100_000;
const isJobServer = (value: unknown): value is AnyJobServer =>
  typeof value === 'object' &&
  value !== null &&
  ['stats', 'health', 'addHealthCheck'].every((method) => typeof (value as Record<string, unknown>)[method] === 'function') &&
  typeof (value as AnyJobServer).maintenance === 'object';

const d = MEMORY_MONITOR_DEFAULTS;
const remediationSwitches = z.strictObject({
  purgeRateLimits: z._default(z.boolean(), d.remediation.purgeRateLimits),
  purgeStaleJobs: z._default(z.boolean(), d.remediation.purgeStaleJobs),
  disconnectInactive: z._default(z.boolean(), d.remediation.disconnectInactive),
  runGc: z._default(z.boolean(), d.remediation.runGc),
});

const optionsSchema = z.strictObject({
  server: z.custom<AnyJobServer>(isJobServer, { error: 'must be a job server from createJobServer' }),
  intervalMs: z._default(z.int().check(z.positive(), z.maximum(MAX_DURATION_MS)), d.intervalMs),
  historySize: z._default(z.int().check(z.positive(), z.maximum(MAX_HISTORY_SIZE)), d.historySize),
  alerts: z.prefault(
    z.strictObject({
      maxConnections: z._default(z.int().check(z.nonnegative()), d.alerts.maxConnections),
      heapGrowthRatio: z._default(z.number().check(z.positive()), d.alerts.heapGrowthRatio),
      heapBaselineBytes: z.optional(z.number().check(z.positive())),
      maxInactiveRatio: z._default(z.number().check(z.minimum(0), z.maximum(1)), d.alerts.maxInactiveRatio),
      maxProcessingJobs: z._default(z.int().check(z.nonnegative()), d.alerts.maxProcessingJobs),
    }),
    {},
  ),
  remediation: z.prefault(
    z.union([
      z.pipe(
        z.boolean(),
        z.transform((on: boolean) => remediationSwitches.parse({ purgeRateLimits: on, purgeStaleJobs: on, disconnectInactive: on, runGc: on })),
      ),
      remediationSwitches,
    ]),
    {},
  ),
  logger: loggerOption,
  now: z._default(functionOption<() => number>('() => milliseconds'), () => Date.now),
  memoryUsage: z._default(functionOption<() => MemoryReading>('() => ({ heapUsed, rss })'), () => () => process.memoryUsage()),
  shedLoad: z._default(z.boolean(), d.shedLoad),
  gc: z.optional(functionOption<() => void>('() => void')),
});

/**
 * Validates monitor options and applies `MEMORY_MONITOR_DEFAULTS`.
 * @throws MemoryMonitorOptionsError naming the first invalid option.
 */
export function resolveMemoryMonitorOptions(options: unknown): ResolvedMemoryMonitorOptions {
  const result = safeParseWithMessages(optionsSchema, options ?? {});
  if (!result.success) {
    const { option, message } = firstOptionIssue(result.error);
    throw new MemoryMonitorOptionsError(option, message, { cause: result.error });
  }
  const { alerts, gc, ...rest } = result.data;
  return { ...rest, alerts: { ...alerts, heapBaselineBytes: alerts.heapBaselineBytes }, gc };
}
