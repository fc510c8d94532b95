import type { ErrorCode, NoticeReason } from '@org/ws-protocol';
import { backoffDelayMs, type BackoffOptions, type RandomSource } from './backoff';
import { timerDelayMs } from './timer-delay';

/**
 * What happened: a protocol error code (connect refusal or request error), a client-side failure, or a server notice.
 * `UNAUTHORIZED:fixed-auth` is a handshake refused `UNAUTHORIZED` while `auth` is a token string (no new credential to try).
 */
export type RetryTrigger = ErrorCode | 'TRANSPORT_ERROR' | 'TIMEOUT' | 'UNAUTHORIZED:fixed-auth' | `notice:${NoticeReason}`;

/** How to react to a trigger. */
export type RetryAction =
  /** Retry after an exponential backoff with full jitter, never sooner than the server's `retryAfterMs`. */
  | 'backoff'
  /** Retry after the server's `retryAfterMs` plus a backoff delay (at least `minDelayMs`, growing with each repeat). */
  | 'retry-after'
  /**
   * Retry at the server's pace: after its `retryAfterMs` plus up to half of it again (jitter), however many attempts
   * failed before, so the delay stays short through an outage; as `backoff` when the server sent no `retryAfterMs`.
   */
  | 'server-paced'
  /**
   * Retry at once; a reconnect at once less than `minDelayMs` after the previous one waits `minDelayMs`, and a job's
   * second retry in a row backs off, so that a server answering every attempt the same way gets no hot loop.
   */
  | 'immediately'
  /** Do not reconnect until the application asks (`subscribe()` or `connect()`); at once if a job is still wanted. */
  | 'stay-disconnected'
  /** Stop: retrying cannot succeed. A connect refusal ends in `disconnected/gave-up`, a request error ends its job subscription. */
  | 'give-up';

/** One row of the retry table: the action and why it is right. */
export interface RetryRule {
  /** What to do. */
  readonly action: RetryAction;
  /** Why, in one sentence. */
  readonly why: string;
}

/**
 * The one table that decides "retry or give up", per error code and notice reason.
 * Connect refusals and notices drive the reconnect loop; request errors (`subscribe-job` replies) drive the job's resubscription.
 */
export const RETRY_POLICY = {
  INVALID_PAYLOAD: { action: 'give-up', why: 'The server rejected what we sent; sending the same again cannot succeed.' },
  RATE_LIMITED: { action: 'backoff', why: 'Too many events: wait at least as long as the server asks, longer on each repeat.' },
  FORBIDDEN: { action: 'give-up', why: 'The job does not exist or is not visible to us, or the server refuses the page origin (cors option); asking again gives the same answer.' },
  UNAUTHORIZED: { action: 'backoff', why: 'Credentials may be refreshed: the auth function is called again on the next attempt.' },
  'UNAUTHORIZED:fixed-auth': { action: 'give-up', why: 'The auth option is a fixed token: the next attempt would send the same credential and get the same answer.' },
  TOO_MANY_CONNECTIONS: { action: 'backoff', why: 'The per-IP cap frees up as other connections close; hammering it keeps it full.' },
  UNSUPPORTED_PROTOCOL: { action: 'give-up', why: 'This client speaks another protocol version; only upgrading the client fixes that.' },
  SHUTTING_DOWN: { action: 'retry-after', why: 'The server is going away; a restarted or sibling instance answers after retryAfterMs.' },
  UNSUBSCRIBED: { action: 'immediately', why: 'An unsubscribe overtook this subscribe, yet the job is still wanted (replies for dropped jobs are ignored): subscribe again.' },
  TOO_MANY_SUBSCRIPTIONS: {
    action: 'give-up',
    why: 'This connection watches as many jobs as the server allows; asking again gets the same answer until the application lets another job go.',
  },
  OVERLOADED: { action: 'backoff', why: 'The server sheds load until its memory falls back: wait at least retryAfterMs, longer on each repeat.' },
  UNAVAILABLE: { action: 'server-paced', why: 'A backing service is down and may be back any moment: retry at the pace the server sets, not ever later.' },
  INTERNAL: { action: 'backoff', why: 'Unknown server failure: retry, slower each time.' },
  TRANSPORT_ERROR: { action: 'backoff', why: 'Network failure or server restart; the server may be back soon.' },
  TIMEOUT: { action: 'backoff', why: 'No answer in time (a heartbeat, a reply, or a whole connection attempt past connectTimeoutMs); the connection is likely half-open.' },
  'notice:shutdown': { action: 'retry-after', why: 'Deploy or restart: come back after retryAfterMs, spread by jitter so clients do not return as one herd.' },
  'notice:session-expired': { action: 'immediately', why: 'Only the session ended; a fresh handshake with fresh auth starts a new one.' },
  'notice:idle': {
    action: 'stay-disconnected',
    why: 'Nothing needed the connection; the next subscribe() or connect() reconnects. A job still wanted (its subscribe crossed the notice) reconnects at once.',
  },
  'notice:rate-limited': { action: 'backoff', why: 'We were too chatty: back off, never sooner than retryAfterMs.' },
} as const satisfies Record<RetryTrigger, RetryRule>;

/** Looks up the rule for a trigger. */
export function retryRuleFor(trigger: RetryTrigger): RetryRule {
  return RETRY_POLICY[trigger];
}

/** Inputs to {@link retryDelayMs}. */
export interface RetryDelayInput {
  /** 1-based number of the retry about to be scheduled. */
  attempt: number;
  /** The server's requested wait, if any. */
  retryAfterMs: number | undefined;
  /** Backoff settings. */
  backoff: BackoffOptions;
  /** Jitter source. */
  random: RandomSource;
}

/**
 * Delay before retrying under `action`, or `undefined` when the action does not retry. Never above what `setTimeout`
 * honours, however large the server's `retryAfterMs`: a longer delay would fire at once and retry in a hot loop.
 */
export function retryDelayMs(action: RetryAction, input: RetryDelayInput): number | undefined {
  const delayMs = unboundedRetryDelayMs(action, input);
  return delayMs === undefined ? undefined : timerDelayMs(delayMs);
}

function unboundedRetryDelayMs(action: RetryAction, input: RetryDelayInput): number | undefined {
  switch (action) {
    case 'immediately':
      return 0;
    case 'retry-after':
      // The backoff on top spreads a herd of returning clients and keeps a `retryAfterMs: 0` from becoming a hot loop.
      return (input.retryAfterMs ?? 0) + backoffDelayMs(input.attempt, input.backoff, input.random);
    case 'server-paced':
      if (input.retryAfterMs === undefined) return unboundedRetryDelayMs('backoff', input);
      return Math.round(Math.max(input.backoff.minDelayMs, input.retryAfterMs * (1 + input.random() / 2)));
    case 'backoff':
      return Math.max(input.retryAfterMs ?? 0, backoffDelayMs(input.attempt, input.backoff, input.random));
    case 'stay-disconnected':
    case 'give-up':
      return undefined;
  }
}
