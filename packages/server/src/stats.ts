import type { ErrorCode, NoticeReason } from '@org/ws-protocol';

/** Size of every registry the server keeps; all zero after `close()`. */
export interface JobServerStats {
  /** Live connections. */
  connections: number;
  /** Client IPs with at least one open transport (entries of the per-IP counter). */
  connectionsByIp: number;
  /** Open transports (Engine.IO connections) that carry no connection: waiting for their Socket.IO handshake, or being refused. */
  pendingTransports: number;
  /** Jobs the store holds; 0 once closed (a store passed as `options.store` is the application's, and keeps its jobs). */
  jobs: number;
  /** (connection, job) subscriptions. */
  subscriptions: number;
  /** Token buckets of the event rate limit. */
  rateLimitRecords: number;
  /** Jobs with at least one local subscriber (entries of the job-watchers index). */
  watchedJobs: number;
  /** Heartbeat probes awaiting an answer (at most one per connection). */
  pendingHeartbeats: number;
  /** `server-timeout-notice`s awaiting an acknowledgement (at most one per connection). */
  pendingNotices: number;
  /** All acknowledgements awaited: `pendingHeartbeats + pendingNotices`. */
  pendingAcks: number;
  /** Timers the server owns (its ticker, its sweeper, a shutdown deadline). */
  timers: number;
  /** Latest job states held back for connections that are behind, one per (connection, job) (see `limits.outbound`). */
  pendingConflations: number;
}

/** Running totals of things the server refused or noticed; they only grow. */
export interface JobServerCounters {
  /** Connections refused in the handshake (any code). */
  refusedConnections: number;
  /** Refused connections per error code; they add up to `refusedConnections`. */
  refusedConnectionsByCode: Partial<Record<ErrorCode, number>>;
  /** Inbound payloads that failed their schema. */
  invalidPayloads: number;
  /** Inbound events with a name the protocol does not have. */
  unknownEvents: number;
  /** Connections Socket.IO closed because a packet could not be decoded (binary junk, garbage frames). */
  malformedPackets: number;
  /** Requests sent without an ack callback. */
  missingAcks: number;
  /** Events refused by the rate limit. */
  rateLimited: number;
  /** Connections dropped because a heartbeat went unanswered. */
  heartbeatTimeouts: number;
  /** Heartbeat answers that were not `{ ts }` of the probe. */
  invalidHeartbeatAnswers: number;
  /** `server-timeout-notice`s sent. */
  noticesSent: number;
  /** `server-timeout-notice`s sent per reason; they add up to `noticesSent`. */
  noticesSentByReason: Partial<Record<NoticeReason, number>>;
  /** Failures of hooks, listeners or the store that the server survived. */
  internalErrors: number;
  /** Job updates never sent to a connection that was behind because a newer state of the job replaced them. */
  conflatedUpdates: number;
  /** Connections closed (`slow-consumer`) because their pending outbound bytes passed `limits.outbound.maxPendingBytes`. */
  slowConsumerDisconnects: number;
  /** `subscribe-job` requests answered `OVERLOADED` while the server shed load (refused connections count by code above). */
  overloadedSubscriptions: number;
  /** `subscribe-job` requests answered `TOO_MANY_SUBSCRIPTIONS`: the connection watched `limits.maxSubscriptionsPerConnection` jobs. */
  tooManySubscriptions: number;
}

/** A fresh set of counters. */
export function emptyCounters(): JobServerCounters {
  return {
    refusedConnections: 0,
    refusedConnectionsByCode: {},
    invalidPayloads: 0,
    unknownEvents: 0,
    malformedPackets: 0,
    missingAcks: 0,
    rateLimited: 0,
    heartbeatTimeouts: 0,
    invalidHeartbeatAnswers: 0,
    noticesSent: 0,
    noticesSentByReason: {},
    internalErrors: 0,
    conflatedUpdates: 0,
    slowConsumerDisconnects: 0,
    overloadedSubscriptions: 0,
    tooManySubscriptions: 0,
  };
}

/** Adds one to `key`'s entry of a per-reason counter. */
export function countBy<K extends string>(counts: Partial<Record<K, number>>, key: K): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** A snapshot of the counters that later counting cannot change. */
export function copyCounters(counters: JobServerCounters): JobServerCounters {
  return { ...counters, refusedConnectionsByCode: { ...counters.refusedConnectionsByCode }, noticesSentByReason: { ...counters.noticesSentByReason } };
}
