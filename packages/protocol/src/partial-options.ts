/**
 * `Partial<T>` whose fields also take an explicit `undefined`, which the packages treat as "not given". Option
 * types use it so a consumer compiled with `exactOptionalPropertyTypes` can pass a possibly-undefined value.
 */
export type PartialOptions<T> = { [K in keyof T]?: T[K] | undefined };

/** A copy of an options object without its `undefined` fields, so spreading it over defaults keeps the defaults. */
export function withoutUndefined<T extends object>(options: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}
