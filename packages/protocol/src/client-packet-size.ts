import { MAX_TOKEN_LENGTH } from './handshake';
import { MAX_EPOCH_LENGTH } from './job-epoch';
import { MAX_JOB_ID_LENGTH } from './job-id';

/** Most bytes of JSON text one UTF-16 code unit of a string can take: a control character or a lone surrogate is written `\uXXXX`. */
const MAX_JSON_BYTES_PER_CHAR = 6;

/** The largest integer a legal packet carries (a protocol version, a `lastSeq`, an acknowledgement id). */
const LARGEST_INTEGER = Number.MAX_SAFE_INTEGER;

/**
 * Packets as a client sends them over Engine.IO: the message type `4`, then the Socket.IO packet (`0` CONNECT with the
 * handshake auth, `2<ack id>` an event). Free-form strings count at their worst JSON escaping; `unsubscribe-job` and
 * the acknowledgements are smaller than `subscribe-job`.
 */
function largestClientPacket(): number {
  const handshake = `40${JSON.stringify({ protocolVersion: LARGEST_INTEGER, token: '' })}`.length + MAX_JSON_BYTES_PER_CHAR * MAX_TOKEN_LENGTH;
  const subscribe =
    `42${LARGEST_INTEGER}${JSON.stringify(['subscribe-job', { jobId: 'x'.repeat(MAX_JOB_ID_LENGTH), lastSeq: LARGEST_INTEGER, epoch: '' }])}`.length +
    MAX_JSON_BYTES_PER_CHAR * MAX_EPOCH_LENGTH;
  return Math.max(handshake, subscribe);
}

/** Bytes of the largest legal packet a client sends (the handshake with the longest token, every character escaped); a server must accept packets this large. */
export const MAX_CLIENT_PACKET_BYTES = /* @__PURE__ */ largestClientPacket();
