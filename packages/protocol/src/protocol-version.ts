/** Version of the wire protocol; a client sends it in the handshake and a server refuses any other. */
export const PROTOCOL_VERSION = 1;

/** The protocol version as a literal type. */
export type ProtocolVersion = typeof PROTOCOL_VERSION;
