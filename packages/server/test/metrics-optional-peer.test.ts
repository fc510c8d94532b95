import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

describe('prom-client stays an optional peer', () => {
  it('is never imported at run time, so the package loads without it installed', async () => {
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
    // The bundle does import its real dependencies, which shows the check sees imports at all.
    expect(imports).toContain('socket.io');
    expect(imports.filter((path) => path.startsWith('prom-client'))).toEqual([]);
  });
});
