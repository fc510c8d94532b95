import type { JobClientError } from './errors';

/** Why the client lost (or is about to replace) its connection and is going to reconnect. */
export type ReconnectReason =
  /** The transport failed or the server refused the handshake with a retryable code. */
  | 'connect-failed'
  /** An open connection dropped (network, server restart, server-side disconnect). */
  | 'connection-lost'
  /** No heartbeat arrived within `heartbeat.intervalMs + heartbeat.graceMs`. */
  | 'heartbeat-timeout'
  /** The server announced a shutdown; we come back after its `retryAfterMs` plus jitter. */
  | 'shutdown'
  /** The server ended the session; we reconnect at once with fresh auth. */
  | 'session-expired'
  /** The server rate-limited this connection; we back off. */
  | 'rate-limited';

/** Why the client is disconnected and not trying to reconnect. */
export type DisconnectReason =
  /** Nothing has asked for a connection yet: no `subscribe()`, `watch()`, `waitFor()` or `connect()` (and no `autoConnect: true`). */
  | 'not-started'
  /** The server dropped an idle connection and no job was waiting for its outcome; the next `subscribe()` or `connect()` reconnects. */
  | 'idle'
  /** A refusal the retry policy gives up on (e.g. `UNSUPPORTED_PROTOCOL`); see `error`. Open subscriptions end with it, new ones fail with it until `connect()`. */
  | 'gave-up'
  /** `close()` was called. */
  | 'closed';

/** Connection state: exactly one of these at any time. */
export type ConnectionState =
  /** A handshake is under way; `attempt` is 0 for the first connection, else the reconnect attempt it belongs to. */
  | { readonly status: 'connecting'; readonly url: string; readonly attempt: number }
  /** Connected to `url`; subscriptions are (re)established on entering this state. */
  | { readonly status: 'connected'; readonly url: string }
  /** Waiting `delayMs` before reconnect attempt number `attempt` (1-based, reset by a successful handshake). */
  | {
      readonly status: 'reconnecting';
      readonly attempt: number;
      readonly delayMs: number;
      readonly reason: ReconnectReason;
      readonly error?: JobClientError;
    }
  /** Not connected and not retrying; `error` says why when the client gave up. */
  | { readonly status: 'disconnected'; readonly reason: DisconnectReason; readonly error?: JobClientError };

/** One member of {@link ConnectionState}, selected by its `status`. */
export type ConnectionStateOf<S extends ConnectionState['status']> = Extract<ConnectionState, { status: S }>;
