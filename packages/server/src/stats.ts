/** Size of every registry the server keeps; all zero after `close()`. */
export interface JobServerStats {
  /** Live connections. */
  connections: number;
  /** Client IPs with at least one connection (entries of the per-IP counter). */
  connectionsByIp: number;
  /** Jobs the store holds. */
  jobs: number;
  /** (connection, job) subscriptions. */
  subscriptions: number;
  /** Token buckets of the event rate limit. */
  rateLimitRecords: number;
  /** Heartbeats and notices awaiting an acknowledgement. */
  pendingAcks: number;
  /** Timers the server owns (its ticker, its sweeper, a shutdown deadline). */
  timers: number;
}

/** Running totals of things the server refused or noticed; they only grow. */
export interface JobServerCounters {
  /** Connections refused in the handshake (any code). */
  refusedConnections: number;
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
  /** Failures of hooks, listeners or the store that the server survived. */
  internalErrors: number;
}

/** A fresh set of counters. */
export function emptyCounters(): JobServerCounters {
  return {
    refusedConnections: 0,
    invalidPayloads: 0,
    unknownEvents: 0,
    malformedPackets: 0,
    missingAcks: 0,
    rateLimited: 0,
    heartbeatTimeouts: 0,
    invalidHeartbeatAnswers: 0,
    noticesSent: 0,
    internalErrors: 0,
  };
}
