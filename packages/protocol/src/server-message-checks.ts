import type { ErrorAck, OkAck } from './acks';
import { ErrorCode, MAX_ERROR_MESSAGE_LENGTH, type ProtocolError } from './error-codes';
import type { Heartbeat } from './heartbeat';
import { MAX_HEARTBEAT_TIMING_MS } from './heartbeat';
import { findJobDataProblem } from './job-data';
import { EPOCH_PROBLEMS, MAX_EPOCH_LENGTH } from './job-epoch';
import { JOB_ID_PATTERN, JOB_ID_PROBLEMS, MAX_JOB_ID_LENGTH } from './job-id';
import { JOB_EXPIRED_REASONS, type JobExpired, type JobUpdate } from './job-update';
import { JOB_STATUSES } from './status';
import { MAX_REPLAY_UPDATES, type SubscribeJobAck } from './subscribe-job';
import { NOTICE_REASONS, type TimeoutNotice } from './timeout-notice';
import type { UnsubscribeJobAck } from './unsubscribe-job';
import {
  wireArray,
  wireBoolean,
  wireCustom,
  wireDiscriminated,
  wireNullable,
  wireNumber,
  wireObject,
  wireOneOf,
  wireOptional,
  wireString,
  type WireCheck,
} from './wire-check';

// Zod-free twins of the schemas of what a server sends (and of a job id), for the client's bundle. Each one is
// tested to accept and refuse exactly what its schema does, at the same path.

/** `JobIdSchema` without zod. */
export const JobIdCheck: WireCheck<string> = /* @__PURE__ */ (() => wireString(1, MAX_JOB_ID_LENGTH, JOB_ID_PATTERN, {
  min: JOB_ID_PROBLEMS.empty,
  max: JOB_ID_PROBLEMS.long,
  pattern: JOB_ID_PROBLEMS.characters,
}))();

/** `JobEpochSchema` without zod. */
export const JobEpochCheck: WireCheck<string> = /* @__PURE__ */ (() =>
  wireString(1, MAX_EPOCH_LENGTH, undefined, { min: EPOCH_PROBLEMS.empty, max: EPOCH_PROBLEMS.long }))();

const count = (): WireCheck<number> => wireNumber(true, ['>=', 0]);

/** `JobUpdateSchema` without zod. */
export const JobUpdateCheck: WireCheck<JobUpdate> = /* @__PURE__ */ (() => wireObject({
  jobId: JobIdCheck,
  epoch: JobEpochCheck,
  seq: wireNumber(true, ['>=', 0], ['>=', 1]),
  status: wireOneOf(JOB_STATUSES),
  progress: wireOptional(wireNumber(false, ['>=', 0], ['<=', 100])),
  data: wireOptional(wireCustom(findJobDataProblem)),
  at: count(),
  conflated: wireOptional(wireOneOf([true])),
}))();

/** `JobExpiredSchema` without zod. */
export const JobExpiredCheck: WireCheck<JobExpired> = /* @__PURE__ */ (() => wireObject({
  jobId: JobIdCheck,
  lastSeq: count(),
  reason: wireOneOf(JOB_EXPIRED_REASONS),
}))();

/** `HeartbeatSchema` without zod. */
export const HeartbeatCheck: WireCheck<Heartbeat> = /* @__PURE__ */ (() => {
  const timing = wireOptional(wireNumber(true, ['>', 0], ['<=', MAX_HEARTBEAT_TIMING_MS]));
  return wireObject({ ts: count(), intervalMs: timing, timeoutMs: timing });
})();

/** `TimeoutNoticeSchema` without zod. */
export const TimeoutNoticeCheck: WireCheck<TimeoutNotice> = /* @__PURE__ */ (() => wireObject({
  reason: wireOneOf(NOTICE_REASONS),
  graceMs: count(),
  reconnect: wireBoolean,
  retryAfterMs: wireOptional(count()),
}))();

/** `ProtocolErrorSchema` (and so `ConnectErrorDataSchema`) without zod. */
export const ProtocolErrorCheck: WireCheck<ProtocolError> = /* @__PURE__ */ (() => wireObject({
  code: wireOneOf(Object.values(ErrorCode)),
  message: wireString(0, MAX_ERROR_MESSAGE_LENGTH),
  retryAfterMs: wireOptional(count()),
}))();

const errorAck: WireCheck<ErrorAck> = /* @__PURE__ */ (() => wireObject({ ok: wireOneOf([false]), error: ProtocolErrorCheck }))();

/** `SubscribeJobAckSchema` without zod. */
export const SubscribeJobAckCheck: WireCheck<SubscribeJobAck> = /* @__PURE__ */ (() => wireDiscriminated(
  'ok',
  new Map<unknown, WireCheck<unknown>>([
    [
      true,
      wireObject({
        ok: wireOneOf([true]),
        jobId: JobIdCheck,
        epoch: wireNullable(JobEpochCheck),
        snapshot: wireNullable(JobUpdateCheck),
        updates: wireArray(JobUpdateCheck, MAX_REPLAY_UPDATES),
        resync: wireBoolean,
      }),
    ],
    [false, errorAck],
  ]),
))();

/** `UnsubscribeJobAckSchema` without zod. */
export const UnsubscribeJobAckCheck: WireCheck<UnsubscribeJobAck> = /* @__PURE__ */ (() => wireDiscriminated(
  'ok',
  new Map<unknown, WireCheck<unknown>>([
    [true, wireObject<OkAck>({ ok: wireOneOf([true]) })],
    [false, errorAck],
  ]),
))();
