import fc from 'fast-check';

/** Values a broken or hostile peer might put anywhere. */
const ODD_VALUES: readonly unknown[] = [
  undefined, null, '', 'x', 'a b', 'running', 'x'.repeat(200), 0, -1, 1, 1.5, 100.5, 1e300, Number.NaN, Number.POSITIVE_INFINITY,
  true, false, [], [1], {}, { ok: true }, { ok: 'yes' }, { __proto__: null }, new Date(0),
];

/** Every path to a value inside `value`, the empty path first. */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const paths = [prefix];
  if (typeof value === 'object' && value !== null) {
    for (const [key, child] of Object.entries(value)) paths.push(...pathsOf(child, [...prefix, Array.isArray(value) ? Number(key) : key]));
  }
  return paths;
}

/** `value` with the value at `path` replaced (or a key added when `path` ends in a new key). */
function replaced(value: unknown, path: (string | number)[], by: unknown): unknown {
  if (path.length === 0) return by;
  const [head, ...rest] = path;
  const copy: Record<string | number, unknown> = Array.isArray(value) ? [...(value as unknown[])] as never : { ...(value as object) };
  copy[head!] = replaced(copy[head!], rest, by);
  return copy;
}

/** Keys a mutant may add: unknown ones, and some a message has (`ok`, `seq`, `lastSeq`) or inherits (`constructor`). */
const EXTRA_KEYS = ['extra', 'ok', 'seq', 'lastSeq', 'constructor', 'toString'] as const;

/** Valid messages, and the same with one value anywhere in them replaced by an odd one or an extra key added. */
export function mutants(valid: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.oneof(
    valid,
    valid.chain((value) => {
      const paths = pathsOf(value);
      return fc
        .tuple(fc.constantFrom(...paths), fc.constantFrom(...ODD_VALUES), fc.constantFrom(null, ...EXTRA_KEYS))
        .map(([path, by, key]) => replaced(value, key === null ? path : [...path, key], by));
    }),
  );
}
