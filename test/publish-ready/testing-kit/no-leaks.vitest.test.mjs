import { expect, test } from 'vitest';
import scenarios from './leak-scenarios.cjs';

test('releases every client it opened', { timeout: 30_000 }, async () => {
  await scenarios.releasesEveryClient();
});

test('names the registries of a client left connected', { timeout: 30_000 }, async () => {
  await scenarios.namesALeftoverClient();
});

test('churns back to zero every round', { timeout: 60_000 }, async () => {
  const result = await scenarios.churnsBackToZero();
  expect(result.gcForced).toBe(false);
});
