// Run with `node --expose-gc --test`, so the churn forces garbage collection before each heap reading.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import scenarios from './leak-scenarios.cjs';

test('releases every client it opened', { timeout: 30_000 }, () => scenarios.releasesEveryClient());

test('names the registries of a client left connected', { timeout: 30_000 }, () => scenarios.namesALeftoverClient());

test('churns back to zero every round, with forced GC', { timeout: 60_000 }, async () => {
  const result = await scenarios.churnsBackToZero();
  assert.equal(result.gcForced, true);
});
