import { ErrorCode, HandshakeAuthSchema, PROTOCOL_VERSION, parsePayload, protocolError, type ProtocolError } from '@org/ws-protocol';
import { ConnectionRefusedError } from '../errors';
import { originRefusal, type OriginPolicy } from './origin-policy';
import type { JobSocket } from './connection-registry';
import { clientIp } from './ip-limit';
import type { TransportAdmission } from './transport-admission';
import type { AuthenticateHook } from '../options';

/** What a handshake that passed left for the `connection` handler. */
export interface Admission {
  ip: string;
  principal: unknown;
}

/** What the handshake middleware needs from the server. */
export interface HandshakeDeps {
  accepting: () => boolean;
  /** The `retryAfterMs` of the next `SHUTTING_DOWN` refusal (spread like the `shutdown` notices). */
  shuttingDownRetryAfterMs: () => number;
  /** While the server sheds load, the `retryAfterMs` of an `OVERLOADED` refusal; otherwise `undefined`. */
  overloadedRetryAfterMs: () => number | undefined;
  /** Per-IP slots of the transports, and which transport carries a connection. */
  transports: TransportAdmission;
  /** Trusted proxy hops in front of the server (0: the socket address is the client). */
  trustProxy: number;
  authenticate: AuthenticateHook | undefined;
  /** The `cors` option's origins, when given. */
  origins: OriginPolicy | undefined;
  admissions: WeakMap<JobSocket, Admission>;
  onRefused: (error: ProtocolError, ip: string) => void;
  onHookError: (error: unknown) => void;
}

const refuse = (code: ErrorCode, message: string, retryAfterMs?: number): ConnectionRefusedError =>
  new ConnectionRefusedError(protocolError(code, message, retryAfterMs));
/** The answer to a handshake on a transport refused as it opened. */
const alreadyRefused = refuse(ErrorCode.TOO_MANY_CONNECTIONS, 'too many connections from this address');
const shuttingDown = (deps: HandshakeDeps): ConnectionRefusedError =>
  refuse(ErrorCode.SHUTTING_DOWN, 'the server is shutting down', deps.shuttingDownRetryAfterMs());

/**
 * Socket.IO middleware that admits a connection: page origin (`cors`), protocol version, handshake schema, the transport's per-IP slot
 * (one connection per transport), `authenticate`. A refusal reaches the client as `connect_error` whose `data` is a
 * `ProtocolError`.
 */
export function createHandshakeMiddleware(deps: HandshakeDeps) {
  return (socket: JobSocket, next: (error?: Error) => void): void => {
    const ip = clientIp(socket.handshake, deps.trustProxy);
    const handshake = { claimed: false };
    const fail = (error: ConnectionRefusedError, counted = false): void => {
      // The transport may carry another handshake now (never one this handshake did not claim).
      if (handshake.claimed) deps.transports.unclaim(socket.conn);
      if (!counted) deps.onRefused(error.data, ip);
      next(error);
    };
    void admit(socket, ip, deps, handshake).then(
      (refusal) => (refusal ? fail(refusal, refusal === alreadyRefused) : next()),
      (error: unknown) => {
        deps.onHookError(error);
        fail(refuse(ErrorCode.INTERNAL, 'the server could not authenticate this connection'));
      },
    );
  };
}

async function admit(socket: JobSocket, ip: string, deps: HandshakeDeps, handshake: { claimed: boolean }): Promise<ConnectionRefusedError | undefined> {
  if (!deps.accepting()) return shuttingDown(deps);
  // Polling from a refused page never gets here (its requests are refused with a 403); a WebSocket does.
  const refusedOrigin = deps.origins?.refusedOrigin(socket.handshake.headers);
  if (refusedOrigin !== undefined) return refuse(ErrorCode.FORBIDDEN, originRefusal(refusedOrigin));
  const overloadedRetryAfterMs = deps.overloadedRetryAfterMs();
  if (overloadedRetryAfterMs !== undefined) return refuse(ErrorCode.OVERLOADED, 'the server is overloaded', overloadedRetryAfterMs);
  const raw: unknown = socket.handshake.auth;
  const version = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>).protocolVersion : undefined;
  if (version !== PROTOCOL_VERSION) {
    return refuse(ErrorCode.UNSUPPORTED_PROTOCOL, `this server speaks protocol version ${PROTOCOL_VERSION}, the client sent ${JSON.stringify(version) ?? 'none'}`);
  }
  const auth = parsePayload(HandshakeAuthSchema, raw, 'auth');
  if (!auth.ok) return new ConnectionRefusedError(auth.error);
  const transport = await deps.transports.admit(socket.conn);
  // Refused as it opened (and counted then): this CONNECT raced with the refusal already on its way.
  if (transport === 'refused') return alreadyRefused;
  if (transport === 'full') return refuse(ErrorCode.TOO_MANY_CONNECTIONS, 'too many connections from this address');
  // Socket.IO runs a second CONNECT that arrives while the first is being admitted: one slot, one connection.
  handshake.claimed = deps.transports.claim(socket.conn);
  if (!handshake.claimed) return refuse(ErrorCode.TOO_MANY_CONNECTIONS, 'this transport already carries a connection');

  let principal: unknown = null;
  if (deps.authenticate) {
    principal = await deps.authenticate({ auth: auth.value, headers: socket.handshake.headers, ip });
    if (principal === null || principal === undefined || principal === false) {
      return refuse(ErrorCode.UNAUTHORIZED, 'the handshake did not authenticate');
    }
  }
  // Re-checked after the hook's await: the server may have begun closing.
  if (!deps.accepting()) return shuttingDown(deps);
  // When the transport closes before Socket.IO emits `connection`, Socket.IO drops the socket silently; the transport's
  // close gives its slot back.
  deps.admissions.set(socket, { ip, principal });
  return undefined;
}
