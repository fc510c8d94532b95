import { ErrorCode, protocolError } from './error-codes';
import { describeIssue, type IssueFacts } from './issue-message';
import { describeIssues, type ParseResult } from './parse-payload';

/** A problem a wire check found: zod's issue facts, and where in the value it is. */
export type WireIssue = IssueFacts & { path: PropertyKey[] };

/**
 * A hand-written, zod-free check of an untrusted value: the first problem in it, or `undefined` when it is a `T`. The
 * client validates what a server sends with these, so its bundle carries no zod; each one is tested to agree with
 * the zod schema of the same message.
 */
export type WireCheck<T> = ((value: unknown) => WireIssue | undefined) & { readonly __type?: T };

const issue = (facts: IssueFacts): WireIssue => ({ ...facts, path: [] });
const wrongType = (expected: string, input: unknown): WireIssue => issue({ code: 'invalid_type', expected, input });
const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Whether the UTF-16 unit at `index` of `value` opens a surrogate pair (one character outside the BMP, two units). */
function opensPair(value: string, index: number): boolean {
  return (value.charCodeAt(index) & 0xfc00) === 0xd800 && (value.charCodeAt(index + 1) & 0xfc00) === 0xdc00;
}

/** The characters of `value` as Unicode counts them (code points): a surrogate pair is one, a lone surrogate one. */
function characterCount(value: string): number {
  let count = value.length;
  for (let index = 0; index < value.length - 1; index += 1) {
    if (opensPair(value, index)) {
      count -= 1;
      index += 1;
    }
  }
  return count;
}

/**
 * A string of `min`–`max` characters matching `pattern`; `messages` replace the default sentence of each rule.
 * Characters are code points, as JSON Schema's `maxLength` and zod 4.6+ count them, so that an emoji counts once
 * whichever zod the application installed (zod 3.25 counts UTF-16 units, and is asked only to word a refusal).
 */
export function wireString(min: number, max: number, pattern?: RegExp, messages: { min?: string; max?: string; pattern?: string } = {}): WireCheck<string> {
  return (value) => {
    if (typeof value !== 'string') return wrongType('string', value);
    const units = value.length;
    // A character is one or two units: only a count of units between `min` and `2 × min` (or past `max`) is in doubt.
    if (units < min || (units < 2 * min && characterCount(value) < min)) return issue({ code: 'too_small', origin: 'string', minimum: min, message: messages.min });
    if (units > max && characterCount(value) > max) return issue({ code: 'too_big', origin: 'string', maximum: max, message: messages.max });
    if (pattern && !pattern.test(value)) return issue({ code: 'invalid_format', format: 'regex', pattern: String(pattern), message: messages.pattern });
    return undefined;
  };
}

/** A bound on a number: at least (`>=`), more than (`>`) or at most (`<=`) the limit. */
export type NumberBound = readonly ['>=' | '>' | '<=', number];

/** A finite number (a safe integer when `integer`) within `bounds`, checked in order. */
export function wireNumber(integer: boolean, ...bounds: readonly NumberBound[]): WireCheck<number> {
  return (value) => {
    if (typeof value !== 'number' || !Number.isFinite(value)) return wrongType('number', value);
    if (integer && !Number.isInteger(value)) return wrongType('int', value);
    if (integer && value > Number.MAX_SAFE_INTEGER) return issue({ code: 'too_big', origin: 'int', maximum: Number.MAX_SAFE_INTEGER });
    if (integer && value < Number.MIN_SAFE_INTEGER) return issue({ code: 'too_small', origin: 'int', minimum: Number.MIN_SAFE_INTEGER });
    for (const [sign, limit] of bounds) {
      if (sign === '<=' ? value > limit : sign === '>' ? value <= limit : value < limit) {
        return issue(sign === '<=' ? { code: 'too_big', origin: 'number', maximum: limit } : { code: 'too_small', origin: 'number', minimum: limit, inclusive: sign === '>=' });
      }
    }
    return undefined;
  };
}

/** One of `values` (compared with `===`). */
export function wireOneOf<const V extends readonly unknown[]>(values: V): WireCheck<V[number]> {
  return (value) => (values.includes(value) ? undefined : issue({ code: 'invalid_value', values }));
}

/** `true` or `false`. */
export const wireBoolean: WireCheck<boolean> = (value) => (typeof value === 'boolean' ? undefined : wrongType('boolean', value));

/** `check`, or `undefined`. */
export function wireOptional<T>(check: WireCheck<T>): WireCheck<T | undefined> {
  return (value) => (value === undefined ? undefined : check(value));
}

/** `check`, or `null`. */
export function wireNullable<T>(check: WireCheck<T>): WireCheck<T | null> {
  return (value) => (value === null ? undefined : check(value));
}

/** A value `problem` finds nothing wrong with (it returns the sentence saying what is wrong). */
export function wireCustom<T>(problem: (value: unknown) => string | undefined): WireCheck<T> {
  return (value) => {
    const message = problem(value);
    return message === undefined ? undefined : issue({ code: 'custom', message });
  };
}

/** Puts the key or index an issue was found under in front of its path. */
function under(key: PropertyKey, found: WireIssue | undefined): WireIssue | undefined {
  found?.path.unshift(key);
  return found;
}

/** An array of `min`–`max` items, each passing `item`; too many items is found before any item is read (as zod 4.6+ does). */
export function wireArray<T>(item: WireCheck<T>, max: number, min = 0): WireCheck<T[]> {
  return (value) => {
    if (!Array.isArray(value)) return wrongType('array', value);
    if (value.length > max) return issue({ code: 'too_big', origin: 'array', maximum: max });
    for (let index = 0; index < value.length; index++) {
      const found = under(index, item(value[index]));
      if (found) return found;
    }
    return value.length < min ? issue({ code: 'too_small', origin: 'array', minimum: min }) : undefined;
  };
}

/** An object (not an array) whose keys pass the checks of `shape`, in order; `strict` refuses other keys. */
export function wireObject<T>(shape: Readonly<Record<string, WireCheck<unknown>>>, strict = false): WireCheck<T> {
  return (value) => {
    if (!isRecord(value)) return wrongType('object', value);
    for (const key in shape) {
      const found = under(key, shape[key]!(value[key]));
      if (found) return found;
    }
    if (!strict) return undefined;
    // Every enumerable key, as zod's strict objects read them; a key the shape inherits (`constructor`) is still unknown.
    const unknownKeys: string[] = [];
    for (const key in value) if (!Object.hasOwn(shape, key)) unknownKeys.push(key);
    return unknownKeys.length > 0 ? issue({ code: 'unrecognized_keys', keys: unknownKeys }) : undefined;
  };
}

/** An object whose `key` picks the check of the rest (zod's `discriminatedUnion`). */
export function wireDiscriminated<T>(key: string, options: ReadonlyMap<unknown, WireCheck<unknown>>): WireCheck<T> {
  return (value) => {
    if (!isRecord(value)) return wrongType('object', value);
    const option = options.get(value[key]);
    return option ? option(value) : under(key, issue({ code: 'invalid_union' }));
  };
}

/**
 * Checks an untrusted value with a wire check; never throws. Refusals are `INVALID_PAYLOAD` errors worded like those of
 * `parsePayload`.
 */
export function parseWire<T>(check: WireCheck<T>, input: unknown, subject = 'payload'): ParseResult<T> {
  try {
    const found = check(input);
    if (!found) return { ok: true, value: input as T };
    return { ok: false, error: protocolError(ErrorCode.INVALID_PAYLOAD, describeIssues([{ path: found.path, message: describeIssue(found) }], subject)) };
  } catch {
    // Only a hostile object (throwing getter or proxy) gets here; wire payloads are plain JSON.
    return { ok: false, error: protocolError(ErrorCode.INVALID_PAYLOAD, `${subject} could not be read`) };
  }
}
