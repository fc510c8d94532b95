const scenarios = require('./leak-scenarios.cjs');

test('releases every client it opened', () => scenarios.releasesEveryClient(), 30_000);

test('names the registries of a client left connected', () => scenarios.namesALeftoverClient(), 30_000);

test('churns back to zero every round', async () => {
  const result = await scenarios.churnsBackToZero();
  expect(result.rounds.every((round) => round.stats.timers === 2)).toBe(true);
}, 60_000);
