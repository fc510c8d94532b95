import { randomBytes } from 'node:crypto';
import { createConnection, type Socket } from 'node:net';
import { httpRequest } from './http-request';

/** An upgrade to WebSocket that was probed and then left hanging. */
export interface StalledUpgradeProbe {
  /** The TCP connection of the WebSocket. */
  readonly socket: Socket;
  /** Resolves once the TCP connection closed. */
  readonly closed: Promise<void>;
}

/** A masked client text frame (RFC 6455) of a payload under 126 bytes. */
function clientTextFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = randomBytes(4);
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, payload.map((byte, index) => byte ^ mask[index % 4]!)]);
}

/**
 * Opens a long-polling Engine.IO session, then a WebSocket for it over a bare TCP connection, sends the upgrade probe
 * (`2probe`), reads its answer (`3probe`), and does nothing more: no `upgrade` packet, and no answer to a close frame.
 */
export async function openStalledUpgradeProbe(url: string): Promise<StalledUpgradeProbe> {
  const handshake = await httpRequest(`${url}/socket.io/?EIO=4&transport=polling`);
  const { sid } = JSON.parse(handshake.body.slice(1)) as { sid: string };
  const { hostname, port } = new URL(url);
  const socket = createConnection({ host: hostname, port: Number(port) });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => undefined);
  let received = Buffer.alloc(0);
  await new Promise<void>((resolve, reject) => {
    socket.once('close', () => reject(new Error('the server closed the upgrade before answering the probe')));
    socket.on('data', (chunk: Buffer) => {
      const upgraded = received.includes('\r\n\r\n');
      received = Buffer.concat([received, chunk]);
      if (!upgraded && received.includes('\r\n\r\n')) {
        if (!received.toString('latin1').startsWith('HTTP/1.1 101')) reject(new Error(`the upgrade was refused: ${received.toString('latin1')}`));
        else socket.write(clientTextFrame('2probe'));
      }
      if (received.includes('3probe')) resolve();
    });
    socket.write(
      [
        `GET /socket.io/?EIO=4&transport=websocket&sid=${encodeURIComponent(sid)} HTTP/1.1`,
        `Host: ${hostname}:${port}`,
        'Upgrade: websocket',
        'Connection: Upgrade',
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
        'Sec-WebSocket-Version: 13',
        '',
        '',
      ].join('\r\n'),
    );
  });
  socket.removeAllListeners('data');
  return { socket, closed };
}
