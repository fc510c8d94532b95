import { MAX_JOB_DATA_BYTES, MAX_JOB_DATA_DEPTH } from '@org/ws-protocol';

/**
 * Items of an array read at most: its JSON takes at least two bytes per item, so any longer array is refused for its
 * size, and a copy this long is refused too (with the size of the copy in the message) instead of reading on.
 */
const MAX_ARRAY_ITEMS = MAX_JOB_DATA_BYTES / 2 + 1;

/** Stands for an object that is not a plain object or array: the data check refuses it as it would the original. */
class NotPlainData {}

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * A copy of an update's `data` made of fresh arrays and plain objects, with every item and own enumerable property read
 * exactly once, so that what `update()` checks is what it stores and sends: a getter or a proxy that answers
 * differently when read again (larger, or no longer JSON) cannot slip past the data check. It does not judge what it
 * reads: the check judges the copy, and refuses it exactly where it would refuse the original. Objects nested deeper
 * than the check allows are not read at all (which also ends a cycle), nor items of an array past what its size allows.
 * May throw what a getter or a proxy throws.
 */
export function snapshotJobData(value: unknown, depth = 0): unknown {
  if (typeof value !== 'object' || value === null) return value;
  // The check refuses an object this deep whatever it holds.
  if (depth >= MAX_JOB_DATA_DEPTH) return {};
  if (Array.isArray(value)) {
    const length = Math.min(value.length, MAX_ARRAY_ITEMS);
    const copy: unknown[] = new Array(length);
    for (let index = 0; index < length; index += 1) copy[index] = snapshotJobData(value[index], depth + 1);
    return copy;
  }
  if (!isPlainObject(value)) return new NotPlainData();
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item = snapshotJobData((value as Record<string, unknown>)[key], depth + 1);
    // `__proto__` stays an own key (for the check to refuse) instead of setting the copy's prototype.
    if (key === '__proto__') Object.defineProperty(copy, key, { value: item, enumerable: true, writable: true, configurable: true });
    else copy[key] = item;
  }
  return copy;
}
