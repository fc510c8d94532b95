export { PROTOCOL_VERSION } from './protocol-version';
export type { ProtocolVersion } from './protocol-version';
export { EventName } from './event-names';
export { JOB_ID_PATTERN, JobIdSchema, MAX_JOB_ID_LENGTH } from './job-id';
export type { JobId } from './job-id';
export { JOB_STATUSES, JobStatusSchema, TERMINAL_STATUSES, isTerminal } from './job-status';
export type { JobStatus, TerminalJobStatus } from './job-status';
export { JobDataSchema, MAX_JOB_DATA_BYTES, MAX_JOB_DATA_DEPTH, findJobDataProblem } from './job-data';
export type { JsonValue } from './job-data';
export type { IsUntypedJobData, JobDataMap, JobDataOf, JobDataProperty, JobUpdateInputOf, JobUpdateOf } from './job-data-map';
export type { StandardSchemaV1 } from './standard-schema';
export {
  JOB_EXPIRED_REASONS,
  JobExpiredReasonSchema,
  JobExpiredSchema,
  JobUpdateInputSchema,
  JobUpdateSchema,
  ProgressSchema,
  SeqSchema,
  TimestampSchema,
} from './job-update';
export type { JobExpired, JobUpdate, JobUpdateInput } from './job-update';
export type { IntSchema } from './int-schema';
export { JobEpochSchema, MAX_EPOCH_LENGTH } from './job-epoch';
export type { JobEpoch } from './job-epoch';
export { ErrorAckSchema, OkAckSchema } from './acks';
export type { ErrorAck, OkAck } from './acks';
export { MAX_REPLAY_UPDATES, SubscribeJobAckSchema, SubscribeJobOkSchema, SubscribeJobRequestSchema } from './subscribe-job';
export type { SubscribeJobAck, SubscribeJobOk, SubscribeJobRequest } from './subscribe-job';
export { UnsubscribeJobAckSchema, UnsubscribeJobRequestSchema } from './unsubscribe-job';
export type { UnsubscribeJobAck, UnsubscribeJobRequest } from './unsubscribe-job';
export { HeartbeatAckSchema, HeartbeatSchema, MAX_HEARTBEAT_TIMING_MS } from './heartbeat';
export type { Heartbeat, HeartbeatAck } from './heartbeat';
export { NOTICE_REASONS, NoticeReasonSchema, TimeoutNoticeAckSchema, TimeoutNoticeSchema } from './timeout-notice';
export type { NoticeReason, TimeoutNotice, TimeoutNoticeAck } from './timeout-notice';
export { ConnectErrorDataSchema, HandshakeAuthSchema, MAX_TOKEN_LENGTH } from './handshake';
export { MAX_CLIENT_PACKET_BYTES } from './client-packet-size';
export { TOO_MANY_CONNECTIONS_MESSAGE } from './per-ip-refusal';
export type { HandshakeAuth } from './handshake';
export {
  ErrorCode,
  ErrorCodeSchema,
  JobProtocolError,
  MAX_ERROR_MESSAGE_LENGTH,
  ProtocolErrorSchema,
  protocolError,
} from './error-codes';
export type { ProtocolError } from './error-codes';
export { describeIssues, describeZodError, invalidPayload, parsePayload, safeParseWithMessages } from './parse-payload';
export type { LocatedIssue, ParseResult } from './parse-payload';
export { parseChecked } from './parse-checked';
export { describeIssue } from './issue-message';
export type { IssueFacts } from './issue-message';
export { schemaDocs } from './schema-docs';
export type { SchemaDoc } from './schema-docs';
export {
  parseWire,
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
} from './wire-check';
export type { NumberBound, WireCheck, WireIssue } from './wire-check';
export {
  HeartbeatCheck,
  JobEpochCheck,
  JobExpiredCheck,
  JobIdCheck,
  JobUpdateCheck,
  ProtocolErrorCheck,
  SubscribeJobAckCheck,
  TimeoutNoticeCheck,
  UnsubscribeJobAckCheck,
} from './server-message-checks';
export { HandshakeAuthCheck, HeartbeatAckCheck, SubscribeJobRequestCheck, UnsubscribeJobRequestCheck } from './client-message-checks';
export { JobUpdateInputCheck } from './update-input-check';
export { withoutUndefined } from './partial-options';
export type { PartialOptions } from './partial-options';
export type { ClientToServerEvents, ServerToClientEvents } from './event-maps';
export { createAsyncApiDocument } from './asyncapi';
export type { AsyncApiDocument } from './asyncapi';
