import { ErrorCode, JobProtocolError, protocolError } from '@org/ws-protocol';
import { describe, expect, it } from 'vitest';
import { storeFailure, storeRefusal, UNAVAILABLE_RETRY_AFTER_MS } from './store-failure';

describe('storeFailure', () => {
  it('turns a store that did not answer into UNAVAILABLE with the retry hint, keeping the cause', () => {
    const cause = new Error('Connection is closed.');
    const failure = storeFailure(cause);
    expect(failure).toBeInstanceOf(JobProtocolError);
    expect(failure).toMatchObject({ code: ErrorCode.UNAVAILABLE, retryAfterMs: UNAVAILABLE_RETRY_AFTER_MS, cause });
    expect(storeRefusal(cause)).toEqual({ code: 'UNAVAILABLE', message: 'job state is unavailable; retry later', retryAfterMs: 1000 });
  });

  it("adds the hint to a store's own UNAVAILABLE without one, and passes every other protocol error through", () => {
    expect(storeRefusal(new JobProtocolError(protocolError(ErrorCode.UNAVAILABLE, 'replica lagging')))).toEqual({ code: 'UNAVAILABLE', message: 'replica lagging', retryAfterMs: 1000 });
    const paced = new JobProtocolError(protocolError(ErrorCode.UNAVAILABLE, 'maintenance', 30_000));
    expect(storeFailure(paced)).toBe(paced);
    const refused = new JobProtocolError(protocolError(ErrorCode.INVALID_PAYLOAD, 'job x already ended with status completed'));
    expect(storeFailure(refused)).toBe(refused);
    expect(storeRefusal(refused)).toEqual({ code: 'INVALID_PAYLOAD', message: 'job x already ended with status completed' });
  });
});
