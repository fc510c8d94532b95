import { describe, expectTypeOf, it } from 'vitest';
import type { PartialOptions } from './partial-options';

describe('PartialOptions', () => {
  it('makes every field optional and lets it take an explicit undefined', () => {
    type Given = PartialOptions<{ intervalMs: number; name: string }>;
    expectTypeOf<{ intervalMs: undefined }>().toMatchTypeOf<Given>();
    expectTypeOf<{}>().toMatchTypeOf<Given>();
    expectTypeOf<Given['intervalMs']>().toEqualTypeOf<number | undefined>();
    // @ts-expect-error a field keeps its type
    const wrong: Given = { name: 42 };
    void wrong;
  });
});
