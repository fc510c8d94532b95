import { JobClientError } from '../../src/index';

/** The `JobClientError` that `promise` rejects with; fails the test if it resolves or rejects with anything else. */
export async function rejection(promise: Promise<unknown>): Promise<JobClientError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof JobClientError)) throw new Error(`expected a JobClientError, got ${String(error)}`);
  return error;
}
