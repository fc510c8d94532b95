import { describe, expect, it } from 'vitest';
import { MissingDependencyError, requireOptional } from './optional-dependency';

describe('requireOptional', () => {
  it('loads an installed optional peer', () => {
    const ioredis = requireOptional<{ Redis: unknown }>('ioredis', 'The redis option');
    expect(typeof ioredis.Redis).toBe('function');
  });

  it('names the missing package and the feature that needs it', () => {
    const attempt = () => requireOptional('@org/no-such-package', 'The redis option');
    expect(attempt).toThrow(MissingDependencyError);
    expect(attempt).toThrow('The redis option needs the optional peer dependency "@org/no-such-package": npm install @org/no-such-package');
  });
});
