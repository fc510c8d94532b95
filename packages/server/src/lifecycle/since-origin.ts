/**
 * `at − origin`, as an int32 (a small integer to V8) when it is one: the difference of two epoch times comes out of
 * arithmetic as a heap number even when it is a small integer, and `| 0` makes it one.
 */
export function sinceOrigin(at: number, origin: number): number {
  const ms = at - origin;
  return ms === (ms | 0) ? ms | 0 : ms;
}
