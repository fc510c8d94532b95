import * as z from 'zod';
import { ProtocolErrorSchema } from './error-codes';

/** Longest token accepted in the handshake. */
export const MAX_TOKEN_LENGTH = 8192;

/** Socket.IO handshake `auth` object: the protocol version and an optional credential. */
export const HandshakeAuthSchema = z
  .strictObject({
    protocolVersion: z.int().positive(),
    token: z.string().max(MAX_TOKEN_LENGTH).optional(),
  })
  .meta({ title: 'HandshakeAuth', description: 'Sent as Socket.IO handshake auth' });

/** Socket.IO handshake `auth` object. */
export type HandshakeAuth = z.infer<typeof HandshakeAuthSchema>;

/** `data` of the Socket.IO `connect_error` a refused handshake produces: a protocol error. */
export const ConnectErrorDataSchema = ProtocolErrorSchema;
