import { describe, expect, it } from 'vitest';
import { OriginPolicy } from './origin-policy';

const host = 'jobs.example.com';

describe('OriginPolicy', () => {
  it('allows a request without Origin (not a browser) and a page on the server itself, whatever the list', () => {
    const policy = new OriginPolicy({ origin: false });
    expect(policy.refusedOrigin({ host })).toBeUndefined();
    expect(policy.refusedOrigin({ host, origin: `https://${host}` })).toBeUndefined();
    expect(policy.refusedOrigin({ host, origin: 'https://app.example.com' })).toBe('https://app.example.com');
  });

  it('allows listed origins exactly, patterns by match, and any origin with true', () => {
    const policy = new OriginPolicy({ origin: ['https://app.example.com', /^https:\/\/[a-z]+\.preview\.example$/] });
    expect(policy.refusedOrigin({ host, origin: 'https://app.example.com' })).toBeUndefined();
    expect(policy.refusedOrigin({ host, origin: 'https://pr.preview.example' })).toBeUndefined();
    expect(policy.refusedOrigin({ host, origin: 'https://app.example.com.evil' })).toBe('https://app.example.com.evil');
    expect(policy.refusedOrigin({ host, origin: 'null' })).toBe('null');
    expect(new OriginPolicy({ origin: 'https://app.example.com' }).refusedOrigin({ host, origin: 'http://app.example.com' })).toBe('http://app.example.com');
    expect(new OriginPolicy({ origin: true }).refusedOrigin({ host, origin: 'https://anyone.example' })).toBeUndefined();
  });
});
