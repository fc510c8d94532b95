import { MAX_TOKEN_LENGTH, type HandshakeAuth } from './handshake';
import type { HeartbeatAck } from './heartbeat';
import { JobEpochCheck, JobIdCheck } from './server-message-checks';
import type { SubscribeJobRequest } from './subscribe-job';
import type { UnsubscribeJobRequest } from './unsubscribe-job';
import { wireNumber, wireObject, wireOptional, wireString, type WireCheck } from './wire-check';

// Zod-free twins of the schemas of what a client sends, for a server's hot path (`parseChecked`): each one is tested
// to accept and refuse exactly what its schema does, at the same path.

/** `SubscribeJobRequestSchema` without zod. */
export const SubscribeJobRequestCheck: WireCheck<SubscribeJobRequest> = /* @__PURE__ */ (() =>
  wireObject({ jobId: JobIdCheck, lastSeq: wireOptional(wireNumber(true, ['>=', 0])), epoch: wireOptional(JobEpochCheck) }, true))();

/** `UnsubscribeJobRequestSchema` without zod. */
export const UnsubscribeJobRequestCheck: WireCheck<UnsubscribeJobRequest> = /* @__PURE__ */ (() => wireObject({ jobId: JobIdCheck }, true))();

/** `HandshakeAuthSchema` without zod. */
export const HandshakeAuthCheck: WireCheck<HandshakeAuth> = /* @__PURE__ */ (() =>
  wireObject({ protocolVersion: wireNumber(true, ['>', 0]), token: wireOptional(wireString(0, MAX_TOKEN_LENGTH)) }, true))();

/** `HeartbeatAckSchema` without zod. */
export const HeartbeatAckCheck: WireCheck<HeartbeatAck> = /* @__PURE__ */ (() => wireObject({ ts: wireNumber(true, ['>=', 0]) }, true))();
