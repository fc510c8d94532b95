/**
 * The message of every refusal for the per-IP connection cap (`TOO_MANY_CONNECTIONS`). It is also the whole reason a
 * server gives when Engine.IO refuses a long-polling handshake early with HTTP 403
 * (`{"code":4,"message":"too many connections from this address"}`, PROTOCOL.md section 2), which is how a client
 * tells that refusal (back off) from a 403 for the page's origin (final).
 */
export const TOO_MANY_CONNECTIONS_MESSAGE = 'too many connections from this address';
