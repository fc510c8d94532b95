import { defineProject } from 'vitest/config';
import { sourceAliases } from '../../vitest.shared';

export default defineProject({
  resolve: { alias: sourceAliases },
  test: { name: 'protocol', typecheck: { enabled: true, include: ['src/**/*.test-d.ts', 'test/**/*.test-d.ts'] } },
});
