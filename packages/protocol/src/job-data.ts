import * as z from 'zod/v4/mini';
import { schemaDocs } from './schema-docs';

/** A JSON value: what `JSON.parse` can return. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Largest `data` accepted on a job update, in bytes of its UTF-8 JSON text (16 KiB). */
export const MAX_JOB_DATA_BYTES = 16 * 1024;

/** Deepest nesting of arrays and objects accepted in `data`. */
export const MAX_JOB_DATA_DEPTH = 32;

/** Keys that could reach an object's prototype when copied; refused anywhere in `data`. */
const FORBIDDEN_KEYS: ReadonlySet<string> = /* @__PURE__ */ new Set(['__proto__', 'constructor', 'prototype']);

const utf8 = /* @__PURE__ */ new TextEncoder();

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Returns why `value` is not acceptable JSON data, or `undefined` when it is. */
function findJsonProblem(value: unknown, depth: number): string | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : 'data numbers must be finite';
  if (typeof value !== 'object') return `data may only hold JSON values, not ${typeof value}`;
  if (depth >= MAX_JOB_DATA_DEPTH) return `data must not nest deeper than ${MAX_JOB_DATA_DEPTH} levels`;
  if (Array.isArray(value)) {
    for (const item of value) {
      const problem = findJsonProblem(item, depth + 1);
      if (problem) return problem;
    }
    return undefined;
  }
  if (!isPlainObject(value)) return 'data may only hold plain objects, arrays and primitives';
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_KEYS.has(key)) return `data must not contain the key "${key}"`;
    const problem = findJsonProblem((value as Record<string, unknown>)[key], depth + 1);
    if (problem) return problem;
  }
  return undefined;
}

/** Why `value` is not acceptable as a job update's `data` (not JSON, too deep, a prototype key, too large), or `undefined` when it is. */
export function findJobDataProblem(value: unknown): string | undefined {
  const problem = findJsonProblem(value, 0);
  if (problem) return problem;
  const json = JSON.stringify(value);
  // A UTF-16 code unit takes at most 3 bytes of UTF-8: text this short is within the bound without being encoded.
  if (json.length * 3 <= MAX_JOB_DATA_BYTES) return undefined;
  const bytes = utf8.encode(json).length;
  return bytes > MAX_JOB_DATA_BYTES ? `data must be at most ${MAX_JOB_DATA_BYTES} bytes of JSON, got ${bytes}` : undefined;
}

/** Arbitrary JSON attached to a job update, at most 16 KiB serialized, without prototype keys. */
export const JobDataSchema = /* @__PURE__ */ (() =>
  z
    .custom<JsonValue>()
    .check((payload) => {
      const problem = findJobDataProblem(payload.value);
      if (problem) payload.issues.push({ code: 'custom', message: problem, input: payload.value });
    })
    .register(schemaDocs, {
      description: `Any JSON value, at most ${MAX_JOB_DATA_BYTES} bytes serialized; keys __proto__, constructor and prototype are refused`,
    }))();
