import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'bundle-budget', include: ['*.test.ts'], testTimeout: 60_000 },
});
