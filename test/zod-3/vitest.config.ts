import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';
import { sourceAliases } from '../../vitest.shared';

// The protocol's whole test suite and the server's option tests once more, with their zod imports (`zod/v4/mini`,
// `zod/v4/core`) served by zod 3.25 (the `zod-3` alias package), so the peer range `^3.25.0 || ^4.0.0` is proven on
// both majors. (The client's code imports no zod.)
const protocol = fileURLToPath(new URL('../../packages/protocol/', import.meta.url));

export default defineProject({
  root: protocol,
  resolve: {
    alias: [
      { find: /^zod\/v4\/(mini|core)$/, replacement: 'zod-3/v4/$1' },
      ...Object.entries(sourceAliases).map(([find, replacement]) => ({ find, replacement })),
    ],
  },
  test: {
    name: 'zod-3',
    dir: fileURLToPath(new URL('../../', import.meta.url)),
    include: [
      'packages/protocol/src/**/*.test.ts',
      'packages/protocol/test/**/*.test.ts',
      'packages/server/src/options.test.ts',
      'packages/server/src/redis/redis-options.test.ts',
      'packages/server/src/monitor/memory-monitor-options.test.ts',
      'test/zod-3/*.test.ts',
    ],
  },
});
