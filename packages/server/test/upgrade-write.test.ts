import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';
import { openRawEngine } from './support/raw-engine-client';
import { recordUpgradeWrites, type TcpWrites } from './support/tcp-writes';
import { connectClient } from './support/test-client';

installLeakCheck();

/** Sends a WebSocket upgrade request for a new Engine.IO connection by hand and resolves everything the server wrote until it closed. */
function upgradeByHand(port: number, version: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(
        [
          'GET /socket.io/?EIO=4&transport=websocket HTTP/1.1',
          `Host: 127.0.0.1:${port}`,
          'Upgrade: websocket',
          'Connection: Upgrade',
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
          `Sec-WebSocket-Version: ${version}`,
          '',
          '',
        ].join('\r\n'),
      );
    });
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      answer += chunk;
    });
    socket.once('close', () => resolve(answer));
    socket.once('error', reject);
  });
}

/** The first write of the upgrade's TCP socket, as one string, and whether it carried Engine.IO's open packet. */
function firstWrite(writes: TcpWrites): { text: string; carriesOpenPacket: boolean } {
  const [chunks = []] = writes;
  return { text: chunks.join(''), carriesOpenPacket: chunks.some((chunk) => chunk.startsWith('0{"sid"')) };
}

describe('the answer to a WebSocket upgrade', () => {
  it("writes ws's 101 and Engine.IO's open packet to the TCP socket in one write", async () => {
    const { server, url } = await startJobServer();
    const writes = recordUpgradeWrites(server);
    const client = await connectClient(url);
    expect(firstWrite(writes)).toMatchObject({ text: expect.stringMatching(/^HTTP\/1\.1 101 /), carriesOpenPacket: true });
    client.socket.disconnect();
  });

  it("does the same after the application's own allowRequest answered later, and sends its refusal", async () => {
    const { server, url } = await startJobServer({
      socketIoOptions: {
        allowRequest: (request, callback) => {
          setImmediate(() => (request.headers['x-refuse'] === undefined ? callback(null, true) : callback('not this one', false)));
        },
      },
    });
    const writes = recordUpgradeWrites(server);
    const client = await connectClient(url);
    expect(firstWrite(writes)).toMatchObject({ text: expect.stringMatching(/^HTTP\/1\.1 101 /), carriesOpenPacket: true });
    client.socket.disconnect();
    expect(await openRawEngine(url, { 'x-refuse': 'yes' })).toEqual({ refused: 400, body: 'not this one' });
    // A long-polling handshake is not an upgrade: nothing to hold back.
    const polling = await connectClient(url, { transports: ['polling'] });
    polling.socket.disconnect();
  });

  it('lets ws refuse an upgrade it cannot speak after it was allowed, with its answer written', async () => {
    const { server, port } = await startJobServer();
    const answer = await upgradeByHand(port, '99');
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(answer).toContain('Sec-WebSocket-Version');
    expect(server.io.engine.clientsCount).toBe(0);
  });
});
