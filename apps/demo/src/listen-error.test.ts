import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { describeListenError } from './listen-error';

/** The error Node gives for listening on a port that another server holds. */
async function portInUseError(): Promise<{ error: unknown; port: number }> {
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const port = (holder.address() as { port: number }).port;
  const second = createServer();
  const error = await new Promise<unknown>((resolve) => {
    second.once('error', resolve);
    second.listen(port, '127.0.0.1');
  });
  await new Promise<void>((resolve) => holder.close(() => resolve()));
  return { error, port };
}

describe('describeListenError', () => {
  it('says how to choose another port when the port is in use', async () => {
    const { error, port } = await portInUseError();
    expect(describeListenError(error, '127.0.0.1', port)).toBe(
      `port ${port} on 127.0.0.1 is already in use (another demo still running?). Choose another port: pnpm demo --port ${port + 1}, or PORT=${port + 1} pnpm demo (--port 0 takes any free one)`,
    );
  });

  it('passes any other failure on with its message', () => {
    expect(describeListenError(new Error('getaddrinfo ENOTFOUND nowhere'), 'nowhere', 3000)).toBe('could not start on nowhere:3000: getaddrinfo ENOTFOUND nowhere');
  });
});
