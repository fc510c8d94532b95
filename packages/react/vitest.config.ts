import { defineProject } from 'vitest/config';
import { sourceAliases } from '../../vitest.shared';

export default defineProject({
  resolve: { alias: sourceAliases },
  test: { name: 'react', testTimeout: 30_000, hookTimeout: 60_000 },
});
