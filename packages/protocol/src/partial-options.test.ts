import { describe, expect, it } from 'vitest';
import { withoutUndefined } from './partial-options';

describe('withoutUndefined', () => {
  it('drops the fields set to undefined and keeps every other value, falsy ones included', () => {
    const given = { a: undefined, b: 0, c: false, d: null, e: '', f: 'x' };
    expect(withoutUndefined(given)).toEqual({ b: 0, c: false, d: null, e: '', f: 'x' });
    expect(Object.keys(withoutUndefined(given))).not.toContain('a');
  });

  it('keeps the defaults it is spread over', () => {
    expect({ path: '/socket.io', pingTimeout: 20_000, ...withoutUndefined({ path: undefined, pingTimeout: 5000 }) }).toEqual({ path: '/socket.io', pingTimeout: 5000 });
  });
});
