// Type-only helper of the option type tests in packages/*: compiled with exactOptionalPropertyTypes (tsconfig.base.json).

/**
 * The optional keys of an options type that do not take an explicit `undefined` under `exactOptionalPropertyTypes`;
 * `never` when a strict consumer may pass a possibly-undefined value to every optional option.
 */
export type OptionsRejectingUndefined<T> = {
  [K in keyof T]-?: {} extends Pick<T, K> ? ({ [P in K]: undefined } extends Pick<T, K> ? never : K) : never;
}[keyof T];
