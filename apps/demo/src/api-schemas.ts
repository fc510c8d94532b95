import * as z from 'zod';

/** `GET /api/settings`: the lifecycle settings in force, so the page can match its heartbeat watchdog and explain timings. */
export const DemoSettingsSchema = z.object({
  heartbeat: z.object({ intervalMs: z.number(), timeoutMs: z.number() }),
  session: z.object({ idleTimeoutMs: z.number(), maxInactivityMs: z.number(), noticeGraceMs: z.number() }),
  sweep: z.object({ intervalMs: z.number() }),
  rateLimit: z.object({ events: z.number(), windowMs: z.number(), abuseStrikes: z.number() }),
  shutdown: z.object({ timeoutMs: z.number(), retryWindowMs: z.number() }),
  jobs: z.object({ stepMs: z.number(), steps: z.number(), failureRate: z.number() }),
  monitor: z.object({ intervalMs: z.number(), historySize: z.number() }),
  /** Ports of every node in the multi-node mode (`--nodes`), this one included; absent with one node. */
  nodePorts: z.array(z.number()).optional(),
});
/** Settings the demo server runs with. */
export type DemoSettings = z.infer<typeof DemoSettingsSchema>;

/** Most jobs one `POST /api/jobs` may start. */
export const MAX_JOBS_PER_REQUEST = 50;

/** `POST /api/jobs?count=N` reply: the ids of the jobs it started. */
export const StartedJobsSchema = z.object({ jobIds: z.array(z.string()) });
/** Reply of `POST /api/jobs`. */
export type StartedJobs = z.infer<typeof StartedJobsSchema>;

/** One point of the stats chart: the fields of a memory-monitor sample the page draws. */
export const StatsSampleSchema = z.object({
  at: z.number(),
  connections: z.number(),
  heapUsedBytes: z.number(),
  processingJobs: z.number(),
  subscriptions: z.number(),
  alerts: z.array(z.string()),
});
/** One sample drawn by the page. */
export type StatsSample = z.infer<typeof StatsSampleSchema>;

/** `GET /api/stats`: the monitor's history (oldest first), the alerts in force and the server's lifecycle counters. */
export const StatsReplySchema = z.object({
  /** When the job server behind this reply started (ms since the epoch): another value means it restarted. */
  serverStartedAt: z.number(),
  samples: z.array(StatsSampleSchema),
  activeAlerts: z.array(z.object({ name: z.string(), value: z.number(), threshold: z.number() })),
  counters: z.object({ heartbeatTimeouts: z.number(), noticesSent: z.number(), rateLimited: z.number() }),
});
/** Reply of `GET /api/stats`. */
export type StatsReply = z.infer<typeof StatsReplySchema>;

/** `POST /api/drop` reply: how many connections of the tab lost their transport. */
export const DroppedSchema = z.object({ dropped: z.number() });

/** `POST /api/restart` reply: the restart was scheduled. */
export const RestartingSchema = z.object({ restarting: z.literal(true) });

/** Every error reply of the demo API. */
export const ApiErrorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
/** Error reply of the demo API. */
export type ApiError = z.infer<typeof ApiErrorSchema>;

/** Header that carries the page's tab id to `POST /api/drop`. */
export const TAB_HEADER = 'x-demo-tab';
