import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const REDIS_PEERS = ['ioredis', '@socket.io/redis-adapter', '@socket.io/redis-emitter'];

describe('the Redis packages stay optional peers', () => {
  it('are never imported when the package loads, so it works without them installed', async () => {
    const result = await build({
      entryPoints: [fileURLToPath(new URL('../src/index.ts', import.meta.url))],
      bundle: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const imports = Object.values(result.metafile.outputs).flatMap((output) => output.imports.map((entry) => entry.path));
    expect(imports).toContain('socket.io');
    expect(imports.filter((path) => REDIS_PEERS.some((peer) => path.startsWith(peer)))).toEqual([]);
  });
});
