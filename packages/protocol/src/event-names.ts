/** Names of every event on the wire, as sent through Socket.IO. */
export const EventName = {
  /** client → server: start watching a job. */
  SubscribeJob: 'subscribe-job',
  /** client → server: stop watching a job. */
  UnsubscribeJob: 'unsubscribe-job',
  /** server → client: one update of a watched job. */
  JobUpdate: 'job-update',
  /** server → client: a watched job was dropped by the server before it finished. */
  JobExpired: 'job-expired',
  /** server → client: liveness probe, answered by the client. */
  Heartbeat: 'heartbeat',
  /** server → client: the server is about to end this connection. */
  ServerTimeoutNotice: 'server-timeout-notice',
} as const;

/** Union of every event name. */
export type EventName = (typeof EventName)[keyof typeof EventName];
