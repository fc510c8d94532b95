import { httpRequest } from './http-request';

/** A long-polling Engine.IO transport whose client sends but never polls: whatever the server writes to it stays queued. */
export interface NeverPollingTransport {
  /** Engine.IO's session id of the transport. */
  readonly sid: string;
  /** Sends Engine.IO packets (joined with the record separator) in one POST; resolves the HTTP status (400 once the transport is gone). */
  send(...packets: string[]): Promise<number>;
}

/** Opens a long-polling transport on `url` with a plain HTTP client, without any Socket.IO library. */
export async function openNeverPollingTransport(url: string): Promise<NeverPollingTransport> {
  const handshake = await httpRequest(`${url}/socket.io/?EIO=4&transport=polling`);
  if (handshake.status !== 200 || !handshake.body.startsWith('0{')) throw new Error(`the long-polling handshake failed: HTTP ${handshake.status} ${handshake.body}`);
  const { sid } = JSON.parse(handshake.body.slice(1)) as { sid: string };
  return {
    sid,
    send: async (...packets) => (await httpRequest(`${url}/socket.io/?EIO=4&transport=polling&sid=${sid}`, 'POST', packets.join('\x1e'))).status,
  };
}
