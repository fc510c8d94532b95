/**
 * A set of strings that mostly holds one: `undefined` while empty, the string itself while it is alone, a `Set` from the
 * second on. A connection mostly watches one job and a job mostly has one watcher per node, and an empty `Set` costs
 * more than the connection's own record (measured by `pnpm bench`: memory per idle connection).
 */
export type CompactSet = string | Set<string> | undefined;

/** Whether `value` is in `set`. */
export function compactHas(set: CompactSet, value: string): boolean {
  return typeof set === 'string' ? set === value : set !== undefined && set.has(value);
}

/** `set` with `value` added (the same `Set` when it already is one). */
export function compactAdd(set: CompactSet, value: string): CompactSet {
  if (set === undefined || set === value) return value;
  if (typeof set === 'string') return new Set([set, value]);
  return set.add(value);
}

/** `set` without `value`: `undefined` once it is empty. */
export function compactDelete(set: CompactSet, value: string): CompactSet {
  if (typeof set === 'string') return set === value ? undefined : set;
  if (set === undefined) return undefined;
  set.delete(value);
  return set.size === 0 ? undefined : set;
}

/** How many values `set` holds. */
export function compactSize(set: CompactSet): number {
  return typeof set === 'string' ? 1 : (set?.size ?? 0);
}

/** The values of `set`. */
export function compactValues(set: CompactSet): Iterable<string> {
  return typeof set === 'string' ? [set] : (set ?? []);
}
