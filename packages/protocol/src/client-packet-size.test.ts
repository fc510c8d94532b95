import { describe, expect, it } from 'vitest';
import { MAX_CLIENT_PACKET_BYTES } from './client-packet-size';
import { HandshakeAuthSchema, MAX_TOKEN_LENGTH } from './handshake';
import { MAX_EPOCH_LENGTH } from './job-epoch';
import { MAX_JOB_ID_LENGTH } from './job-id';
import { SubscribeJobRequestSchema } from './subscribe-job';

/** Bytes of a packet as a client writes it on the wire (Engine.IO message type, Socket.IO packet, JSON). */
const wireBytes = (prefix: string, payload: unknown): number => Buffer.byteLength(`${prefix}${JSON.stringify(payload)}`);

describe('MAX_CLIENT_PACKET_BYTES', () => {
  it('is the size of the largest legal handshake: the longest token with every character escaped', () => {
    for (const character of ['\u0000', '\ud800', '"', '\u{1F600}'.slice(0, 1), 'é', '€']) {
      const auth = { protocolVersion: Number.MAX_SAFE_INTEGER, token: character.repeat(MAX_TOKEN_LENGTH) };
      expect(HandshakeAuthSchema.safeParse(auth).success).toBe(true);
      expect(wireBytes('40', auth)).toBeLessThanOrEqual(MAX_CLIENT_PACKET_BYTES);
    }
    expect(wireBytes('40', { protocolVersion: Number.MAX_SAFE_INTEGER, token: '\u0000'.repeat(MAX_TOKEN_LENGTH) })).toBe(MAX_CLIENT_PACKET_BYTES);
  });

  it('holds the largest legal subscribe-job with the largest acknowledgement id', () => {
    const request = { jobId: 'x'.repeat(MAX_JOB_ID_LENGTH), lastSeq: Number.MAX_SAFE_INTEGER, epoch: '\u0000'.repeat(MAX_EPOCH_LENGTH) };
    expect(SubscribeJobRequestSchema.safeParse(request).success).toBe(true);
    expect(wireBytes(`42${Number.MAX_SAFE_INTEGER}`, ['subscribe-job', request])).toBeLessThan(MAX_CLIENT_PACKET_BYTES);
  });
});
