import * as z from 'zod/v4/mini';
import type * as core from 'zod/v4/core';
import { ErrorAckSchema, OkAckSchema } from './acks';
import { EventName } from './event-names';
import { ConnectErrorDataSchema, HandshakeAuthSchema } from './handshake';
import { HeartbeatAckSchema, HeartbeatSchema } from './heartbeat';
import { JobExpiredSchema, JobUpdateSchema } from './job-update';
import { PROTOCOL_VERSION } from './protocol-version';
import { schemaDocs } from './schema-docs';
import { SubscribeJobAckSchema, SubscribeJobRequestSchema } from './subscribe-job';
import { TimeoutNoticeAckSchema, TimeoutNoticeSchema } from './timeout-notice';
import { UnsubscribeJobAckSchema, UnsubscribeJobRequestSchema } from './unsubscribe-job';

/** A JSON object, as the AsyncAPI document is plain data. */
export type AsyncApiDocument = { asyncapi: '3.0.0' } & Record<string, unknown>;

function jsonSchema(schema: core.$ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: 'draft-7', unrepresentable: 'any', io: 'input', metadata: schemaDocs });
  return rest;
}

type EventSpec = {
  key: string;
  event: EventName;
  /** Who sends the event, seen from the server application this document describes. */
  action: 'send' | 'receive';
  summary: string;
  payload: core.$ZodType;
  reply?: core.$ZodType;
};

/** Every event, built on demand so that bundles without the AsyncAPI document keep none of the schemas. */
const events = (): readonly EventSpec[] => [
  { key: 'subscribeJob', event: EventName.SubscribeJob, action: 'receive', summary: 'Client starts watching a job; the reply carries its snapshot and missed updates.', payload: SubscribeJobRequestSchema, reply: SubscribeJobAckSchema },
  { key: 'unsubscribeJob', event: EventName.UnsubscribeJob, action: 'receive', summary: 'Client stops watching a job.', payload: UnsubscribeJobRequestSchema, reply: UnsubscribeJobAckSchema },
  { key: 'jobUpdate', event: EventName.JobUpdate, action: 'send', summary: 'Server fans out one update of a job to its subscribers.', payload: JobUpdateSchema },
  { key: 'jobExpired', event: EventName.JobExpired, action: 'send', summary: 'Server tells subscribers a job was dropped without a terminal update.', payload: JobExpiredSchema },
  { key: 'heartbeat', event: EventName.Heartbeat, action: 'send', summary: 'Server sends its heartbeat timing right after the handshake (the welcome heartbeat, which asks for no answer), then probes liveness; the client answers each probe with the same ts.', payload: HeartbeatSchema, reply: HeartbeatAckSchema },
  { key: 'serverTimeoutNotice', event: EventName.ServerTimeoutNotice, action: 'send', summary: 'Server announces that it will end the connection; the client acknowledges.', payload: TimeoutNoticeSchema, reply: TimeoutNoticeAckSchema },
];

/**
 * Builds the AsyncAPI 3.0 description of the protocol from the same zod schemas the code validates with.
 * @example
 * writeFileSync('asyncapi.json', JSON.stringify(createAsyncApiDocument(), null, 2));
 */
export function createAsyncApiDocument(): AsyncApiDocument {
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  for (const spec of events()) {
    const messages: Record<string, unknown> = {
      [spec.key]: { name: spec.event, summary: spec.summary, payload: jsonSchema(spec.payload) },
    };
    if (spec.reply) {
      messages[`${spec.key}Reply`] = { name: `${spec.event} ack`, summary: `Socket.IO acknowledgement of ${spec.event}.`, payload: jsonSchema(spec.reply) };
    }
    channels[spec.key] = { address: spec.event, title: spec.event, messages };
    const channelRef = { $ref: `#/channels/${spec.key}` };
    operations[`${spec.action}${spec.key[0]!.toUpperCase()}${spec.key.slice(1)}`] = {
      action: spec.action,
      channel: channelRef,
      summary: spec.summary,
      messages: [{ $ref: `#/channels/${spec.key}/messages/${spec.key}` }],
      ...(spec.reply ? { reply: { channel: channelRef, messages: [{ $ref: `#/channels/${spec.key}/messages/${spec.key}Reply` }] } } : {}),
    };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: '@org/ws job progress protocol',
      version: `${PROTOCOL_VERSION}.0.0`,
      description:
        'Events between a job-progress server and its clients over Socket.IO v4. Clients send the handshake `auth` described in components.schemas.HandshakeAuth; a refused handshake yields a connect_error whose data is components.schemas.ConnectErrorData. Sequence rules, heartbeats, notices and limits are described in PROTOCOL.md of @org/ws-protocol.',
      license: { name: 'MIT' },
    },
    defaultContentType: 'application/json',
    servers: {
      local: { host: 'localhost:3000', pathname: '/socket.io/', protocol: 'ws', description: 'Socket.IO endpoint of a server started by the demo' },
    },
    channels,
    operations,
    components: {
      schemas: {
        HandshakeAuth: jsonSchema(HandshakeAuthSchema),
        ConnectErrorData: { ...jsonSchema(ConnectErrorDataSchema), title: 'ConnectErrorData', description: 'data of the connect_error a refused handshake produces' },
        ErrorAck: jsonSchema(ErrorAckSchema),
        OkAck: jsonSchema(OkAckSchema),
      },
    },
  };
}
