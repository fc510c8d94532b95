import { EventName, type Heartbeat } from '@org/ws-protocol';
import type { JobSocket } from './connection-registry';

/** Socket.IO packet type of an event (`socket.io-parser`'s `PacketType.EVENT`). */
const EVENT = 2;
/** A `ts` that stands for the real one while the encoding is learnt: no other part of the packet holds these digits. */
const TS_MARK = 987_654_321_987;

/** The Socket.IO encoder of a server (`io.encoder`). */
interface PacketEncoder {
  encode(packet: { type: number; nsp: string; data: unknown[] }): unknown[];
}

/** What is written around `ts` for a server's encoder, or `null` when its encoding of the heartbeat is not one string. */
type WelcomeFrame = { readonly head: string; readonly tail: string } | null;

function learnFrame(encoder: PacketEncoder, payload: (ts: number) => Heartbeat): WelcomeFrame {
  const encode = (ts: number): unknown[] => encoder.encode({ type: EVENT, nsp: '/', data: [EventName.Heartbeat, payload(ts)] });
  const [encoded, ...rest] = encode(TS_MARK);
  if (typeof encoded !== 'string' || rest.length > 0) return null;
  const parts = encoded.split(String(TS_MARK));
  if (parts.length !== 2) return null;
  const frame = { head: parts[0]!, tail: parts[1]! };
  // The same encoder, asked again with another `ts`, must give what the frame would write.
  const check = encode(1);
  return check.length === 1 && check[0] === `${frame.head}1${frame.tail}` ? frame : null;
}

/**
 * Writes the welcome heartbeat to a new connection as a Socket.IO packet encoded once per server up to its `ts`, which
 * saves encoding the same payload for every connection (measured by `pnpm bench`: CPU per handshake). The encoding is
 * learnt from the server's own encoder and checked; an encoder that does not write the heartbeat as one string (a
 * binary parser) gets `socket.emit`. Written straight to the connection's Engine.IO socket, it is not seen by the
 * socket's `onAnyOutgoing` listeners.
 */
export class WelcomePacket {
  readonly #payload: (ts: number) => Heartbeat;
  /** The encoder of the server's sockets, and its frame, learnt from the first connection. */
  #learnt: { readonly encoder: PacketEncoder; readonly frame: WelcomeFrame } | undefined;

  /** `payload`: the heartbeat stamped `ts`, as every heartbeat of the server is built. */
  constructor(payload: (ts: number) => Heartbeat) {
    this.#payload = payload;
  }

  /** Sends the welcome heartbeat stamped `ts` to `socket`. */
  send(socket: JobSocket, ts: number): void {
    const encoder = socket.nsp.server.encoder as PacketEncoder;
    if (this.#learnt?.encoder !== encoder) this.#learnt = { encoder, frame: learnFrame(encoder, this.#payload) };
    const { frame } = this.#learnt;
    if (frame === null) socket.emit(EventName.Heartbeat, this.#payload(ts));
    else socket.conn.write(frame.head + ts + frame.tail);
  }
}
