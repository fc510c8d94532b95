import { describe, expect, it } from 'vitest';
import { HeartbeatAckSchema, HeartbeatSchema } from './heartbeat';

describe('HeartbeatSchema', () => {
  it('accepts the server clock', () => {
    expect(HeartbeatSchema.parse({ ts: 1_700_000_000_000 })).toEqual({ ts: 1_700_000_000_000 });
  });

  it('accepts the server heartbeat timing beside the clock', () => {
    expect(HeartbeatSchema.parse({ ts: 1, intervalMs: 4000, timeoutMs: 2000 })).toEqual({ ts: 1, intervalMs: 4000, timeoutMs: 2000 });
  });

  it.each([{ ts: 1, intervalMs: 0 }, { ts: 1, timeoutMs: -1 }, { ts: 1, intervalMs: 1.5 }, { ts: 1, timeoutMs: 2 ** 31 }])('refuses the timing in %j', (value) => {
    expect(HeartbeatSchema.safeParse(value).success).toBe(false);
  });

  it.each([{}, { ts: -1 }, { ts: 1.5 }, { ts: Number.NaN }, { ts: Number.POSITIVE_INFINITY }, { ts: '1' }, null])('refuses %j', (value) => {
    expect(HeartbeatSchema.safeParse(value).success).toBe(false);
  });
});

describe('HeartbeatAckSchema', () => {
  it('accepts the echoed ts', () => {
    expect(HeartbeatAckSchema.parse({ ts: 5 })).toEqual({ ts: 5 });
  });

  it.each([
    ['an extra key', '{"ts":5,"extra":true}'],
    ['__proto__', '{"ts":5,"__proto__":{"polluted":1}}'],
    ['constructor', '{"ts":5,"constructor":{"polluted":1}}'],
  ])('is strict: refuses %s', (_label, text) => {
    expect(HeartbeatAckSchema.safeParse(JSON.parse(text)).error?.issues[0]?.code).toBe('unrecognized_keys');
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it.each([{}, { ts: 'now' }, { ts: Number.NaN }, { ts: -5 }])('refuses %j', (value) => {
    expect(HeartbeatAckSchema.safeParse(value).success).toBe(false);
  });
});
