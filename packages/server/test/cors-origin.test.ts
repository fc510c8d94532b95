import { ErrorCode } from '@org/ws-protocol';
import { describe, expect, it } from 'vitest';
import { startJobServer } from './support/job-server-resource';
import { installLeakCheck } from './support/leak-check';
import { connectClient, connectRefused } from './support/test-client';

installLeakCheck();

const PAGE = 'https://app.example.com';

describe('cors origins', () => {
  it.each(['g', 'y', 'gy'])('allows a matching page on every request when its RegExp has the %s flag (test() keeps no position between requests)', async (flags) => {
    const { url } = await startJobServer({ cors: { origin: new RegExp(`^${PAGE.replaceAll('.', '\\.')}$`, flags) } });
    for (let i = 0; i < 4; i += 1) {
      await connectClient(url, { extraHeaders: { Origin: PAGE } });
      // Socket.IO's own CORS answer to a polling request is decided by the same pattern.
      const polling = await fetch(`${url}/socket.io/?EIO=4&transport=polling`, { headers: { Origin: PAGE } });
      expect({ status: polling.status, allowed: polling.headers.get('access-control-allow-origin') }).toEqual({ status: 200, allowed: PAGE });
      await polling.text();
    }
    expect(await connectRefused(url, { extraHeaders: { Origin: 'https://elsewhere.example.com' } })).toMatchObject({ code: ErrorCode.FORBIDDEN });
  });
});
