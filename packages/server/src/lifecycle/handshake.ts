import { ErrorCode, HandshakeAuthSchema, PROTOCOL_VERSION, parsePayload, protocolError, type ProtocolError } from '@org/ws-protocol';
import { ConnectionRefusedError } from '../errors';
import type { JobSocket } from './connection-registry';
import type { ConnectionCounter } from './connection-counter';
import { clientIp } from './ip-limit';
import type { AuthenticateHook } from '../options';

/** What a handshake that passed left for the `connection` handler. */
export interface Admission {
  ip: string;
  principal: unknown;
  /** Hands the IP slot over to the connection (stops the early-close release). */
  claim: () => void;
}

/** What the handshake middleware needs from the server. */
export interface HandshakeDeps {
  accepting: () => boolean;
  /** The `retryAfterMs` of the next `SHUTTING_DOWN` refusal (spread like the `shutdown` notices). */
  shuttingDownRetryAfterMs: () => number;
  /** While the server sheds load, the `retryAfterMs` of an `OVERLOADED` refusal; otherwise `undefined`. */
  overloadedRetryAfterMs: () => number | undefined;
  ipLimit: ConnectionCounter;
  /** Trusted proxy hops in front of the server (0: the socket address is the client). */
  trustProxy: number;
  authenticate: AuthenticateHook | undefined;
  admissions: WeakMap<JobSocket, Admission>;
  onRefused: (error: ProtocolError, ip: string) => void;
  onHookError: (error: unknown) => void;
}

const refuse = (code: ErrorCode, message: string, retryAfterMs?: number): ConnectionRefusedError =>
  new ConnectionRefusedError(protocolError(code, message, retryAfterMs));
const shuttingDown = (deps: HandshakeDeps): ConnectionRefusedError =>
  refuse(ErrorCode.SHUTTING_DOWN, 'the server is shutting down', deps.shuttingDownRetryAfterMs());

/**
 * Socket.IO middleware that admits a connection: protocol version, handshake schema, per-IP cap,
 * `authenticate`. A refusal reaches the client as `connect_error` whose `data` is a `ProtocolError`.
 */
export function createHandshakeMiddleware(deps: HandshakeDeps) {
  return (socket: JobSocket, next: (error?: Error) => void): void => {
    const ip = clientIp(socket.handshake, deps.trustProxy);
    const fail = (error: ConnectionRefusedError): void => {
      deps.onRefused(error.data, ip);
      next(error);
    };
    void admit(socket, ip, deps).then(
      (refusal) => (refusal ? fail(refusal) : next()),
      (error: unknown) => {
        deps.onHookError(error);
        fail(refuse(ErrorCode.INTERNAL, 'the server could not authenticate this connection'));
      },
    );
  };
}

async function admit(socket: JobSocket, ip: string, deps: HandshakeDeps): Promise<ConnectionRefusedError | undefined> {
  if (!deps.accepting()) return shuttingDown(deps);
  const overloadedRetryAfterMs = deps.overloadedRetryAfterMs();
  if (overloadedRetryAfterMs !== undefined) return refuse(ErrorCode.OVERLOADED, 'the server is overloaded', overloadedRetryAfterMs);
  const raw: unknown = socket.handshake.auth;
  const version = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>).protocolVersion : undefined;
  if (version !== PROTOCOL_VERSION) {
    return refuse(ErrorCode.UNSUPPORTED_PROTOCOL, `this server speaks protocol version ${PROTOCOL_VERSION}, the client sent ${JSON.stringify(version) ?? 'none'}`);
  }
  const auth = parsePayload(HandshakeAuthSchema, raw, 'auth');
  if (!auth.ok) return new ConnectionRefusedError(auth.error);
  if (!(await deps.ipLimit.hasRoom(ip))) return refuse(ErrorCode.TOO_MANY_CONNECTIONS, 'too many connections from this address');

  let principal: unknown = null;
  if (deps.authenticate) {
    principal = await deps.authenticate({ auth: auth.value, headers: socket.handshake.headers, ip });
    if (principal === null || principal === undefined || principal === false) {
      return refuse(ErrorCode.UNAUTHORIZED, 'the handshake did not authenticate');
    }
  }
  // Re-checked after the hook's await: the server may have begun closing, or other handshakes took the slots.
  if (!deps.accepting()) return shuttingDown(deps);
  if (!(await deps.ipLimit.acquire(ip))) return refuse(ErrorCode.TOO_MANY_CONNECTIONS, 'too many connections from this address');

  // Socket.IO drops a socket silently when its transport closes between `next()` and `connection`;
  // this listener gives the slot back in that case.
  const conn = socket.conn;
  if (conn.readyState !== 'open') {
    deps.ipLimit.release(ip);
    return refuse(ErrorCode.INTERNAL, 'the transport closed during the handshake');
  }
  const releaseEarly = (): void => deps.ipLimit.release(ip);
  conn.once('close', releaseEarly);
  deps.admissions.set(socket, { ip, principal, claim: () => conn.off('close', releaseEarly) });
  return undefined;
}
