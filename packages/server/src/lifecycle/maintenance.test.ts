import { describe, expect, it } from 'vitest';
import type { ConnectionRecord, JobSocket } from './connection-registry';
import { inactivityReason } from './maintenance';

const SESSION = { idleTimeoutMs: 1_000, maxInactivityMs: 5_000, noticeGraceMs: 100 };

function record(jobIds: string[] = []): ConnectionRecord {
  const socket = {} as JobSocket;
  return { id: 's', socket, ip: '127.0.0.1', principal: null, connectedAt: 0, lastActivityAt: 0, lastAliveAt: 0, subscriptions: new Set(jobIds), rateFullAt: undefined };
}

describe('inactivityReason', () => {
  it('lets an active connection stay', () => {
    expect(inactivityReason(record(), 0, SESSION.idleTimeoutMs - 1, SESSION)).toBeUndefined();
  });

  it('calls a connection without subscriptions idle after idleTimeoutMs', () => {
    expect(inactivityReason(record(), 0, SESSION.idleTimeoutMs, SESSION)).toBe('idle');
  });

  it('never calls a watching connection idle, but expires its session after maxInactivityMs', () => {
    expect(inactivityReason(record(['job-1']), 0, SESSION.maxInactivityMs - 1, SESSION)).toBeUndefined();
    expect(inactivityReason(record(['job-1']), 0, SESSION.maxInactivityMs, SESSION)).toBe('session-expired');
    expect(inactivityReason(record(), 0, SESSION.maxInactivityMs, SESSION)).toBe('session-expired');
  });
});
