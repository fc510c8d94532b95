import * as z from 'zod/v4/mini';
import { ProtocolErrorSchema } from './error-codes';
import { intSchema } from './int-schema';
import { schemaDocs } from './schema-docs';

/** Longest token accepted in the handshake. */
export const MAX_TOKEN_LENGTH = 8192;

/** Socket.IO handshake `auth` object: the protocol version and an optional credential. */
export const HandshakeAuthSchema = /* @__PURE__ */ (() =>
  z
    .strictObject({
      protocolVersion: intSchema().check(z.positive()),
      token: z.optional(z.string().check(z.maxLength(MAX_TOKEN_LENGTH))),
    })
    .register(schemaDocs, { title: 'HandshakeAuth', description: 'Sent as Socket.IO handshake auth' }))();

/** Socket.IO handshake `auth` object. */
export type HandshakeAuth = z.infer<typeof HandshakeAuthSchema>;

/** `data` of the Socket.IO `connect_error` a refused handshake produces: a protocol error. */
export const ConnectErrorDataSchema = ProtocolErrorSchema;
