import { ErrorCode, protocolError, type ErrorAck, type ProtocolError } from '@org/ws-protocol';
import type { ConnectionRecord } from './connection-registry';
import type { TokenBucketLimiter } from './rate-limit';
import type { JobServerCounters } from '../stats';

/** A request handler: takes the untrusted payload, resolves the reply to ack. */
export type RequestHandler = (record: ConnectionRecord, payload: unknown) => Promise<{ ok: boolean; error?: ProtocolError }>;

/** What the inbound event gate needs from the server. */
export interface ClientEventDeps {
  now: () => number;
  limiter: TokenBucketLimiter;
  abuseStrikes: number;
  counters: JobServerCounters;
  handlers: Readonly<Record<string, RequestHandler>>;
  /** The client kept flooding after being refused `abuseStrikes` times in a row. */
  onAbuse: (record: ConnectionRecord) => void;
  onError: (error: unknown, context: string) => void;
}

function reply(ack: ((response: unknown) => void) | undefined, response: unknown): void {
  // Acking a socket that is already gone is a no-op in Socket.IO; a throw here would only come from a patched socket.
  try {
    ack?.(response);
  } catch {
    // nothing to tell: the client is gone
  }
}

/**
 * Gates every inbound event of a connection (PROTOCOL.md §3): rate limit first, whatever the event, then dispatch to
 * the protocol's request handlers. Unknown events and requests without an ack callback are counted and dropped; a
 * request with more than its one payload argument is answered `INVALID_PAYLOAD`. Nothing here throws. (Socket.IO's
 * reserved names never get here: its parser refuses such a packet as undecodable.)
 */
export function attachClientEvents(record: ConnectionRecord, deps: ClientEventDeps): void {
  record.socket.use((packet, next) => {
    const [event, ...args] = packet as unknown[];
    const last = args.at(-1);
    const ack = typeof last === 'function' ? (args.pop() as (response: unknown) => void) : undefined;

    const decision = deps.limiter.take(record.id, deps.now());
    if (!decision.allowed) {
      deps.counters.rateLimited += 1;
      const refused: ErrorAck = { ok: false, error: protocolError(ErrorCode.RATE_LIMITED, 'too many events; slow down', decision.retryAfterMs) };
      reply(ack, refused);
      if (decision.strikes >= deps.abuseStrikes) deps.onAbuse(record);
      return;
    }

    // Own keys only: an event named `constructor` or `__proto__` must not reach Object.prototype.
    const handler = typeof event === 'string' && Object.hasOwn(deps.handlers, event) ? deps.handlers[event] : undefined;
    if (!handler) {
      deps.counters.unknownEvents += 1;
      // Socket.IO reports undecodable packets as the socket's `error` event: a client must not be able to
      // raise it. Anything else is left to any listener the application attached to a server it shares with us.
      if (event !== 'error') next();
      return;
    }
    if (!ack) {
      deps.counters.missingAcks += 1;
      return;
    }
    record.lastActivityAt = deps.now();
    if (args.length > 1) {
      deps.counters.invalidPayloads += 1;
      reply(ack, { ok: false, error: protocolError(ErrorCode.INVALID_PAYLOAD, `${event}: takes one payload argument before its acknowledgement, got ${args.length}`) });
      return;
    }
    handler(record, args[0]).then(
      (response) => {
        if (response.error?.code === ErrorCode.INVALID_PAYLOAD) deps.counters.invalidPayloads += 1;
        reply(ack, response);
      },
      (error: unknown) => {
        deps.onError(error, String(event));
        reply(ack, { ok: false, error: protocolError(ErrorCode.INTERNAL, 'the server failed to handle this request') });
      },
    );
  });
}
