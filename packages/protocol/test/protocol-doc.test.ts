import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type * as z from 'zod/v4/mini';
import {
  ErrorAckSchema,
  ErrorCode,
  EventName,
  HandshakeAuthSchema,
  HeartbeatAckSchema,
  HeartbeatSchema,
  JOB_STATUSES,
  JOB_EXPIRED_REASONS,
  JobExpiredSchema,
  JobUpdateSchema,
  MAX_CLIENT_PACKET_BYTES,
  MAX_ERROR_MESSAGE_LENGTH,
  MAX_JOB_DATA_BYTES,
  MAX_JOB_DATA_DEPTH,
  MAX_JOB_ID_LENGTH,
  MAX_REPLAY_UPDATES,
  MAX_TOKEN_LENGTH,
  NOTICE_REASONS,
  PROTOCOL_VERSION,
  ProtocolErrorSchema,
  SubscribeJobOkSchema,
  SubscribeJobRequestSchema,
  TimeoutNoticeAckSchema,
  TimeoutNoticeSchema,
  UnsubscribeJobAckSchema,
  UnsubscribeJobRequestSchema,
} from '../src/index';

const doc = readFileSync(new URL('../PROTOCOL.md', import.meta.url), 'utf8');
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { files: string[] };

/** The text of the `### \`event\`` section, up to the next heading. */
function sectionOf(event: string): string {
  const start = doc.indexOf(`### \`${event}\``);
  if (start === -1) return '';
  const end = doc.slice(start + 4).search(/\n#{2,3} /);
  return end === -1 ? doc.slice(start) : doc.slice(start, start + 4 + end);
}

/** Prose as a reader sees it: every run of whitespace (a line break where the page wraps) one space. */
const flowed = (text: string): string => text.replace(/\s+/g, ' ');
const flowedDoc = flowed(doc);

/** A table row whose first cell is the value in backticks. */
const rowFor = (value: string) => new RegExp(`^\\| \`${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\` \\|`, 'm');

/**
 * Where the page defines a shape: the paragraph that opens with `**Name**:` or `**Name** \`{…}\``, plus the
 * table that follows when that paragraph ends with a colon.
 */
function definitionOf(name: string): string {
  const start = doc.search(new RegExp(`\\*\\*${name}\\*\\*(:| \`)`));
  if (start === -1) return '';
  const paragraphEnd = doc.indexOf('\n\n', start);
  const paragraph = doc.slice(start, paragraphEnd);
  if (!paragraph.endsWith(':')) return paragraph;
  const tableEnd = doc.indexOf('\n\n', paragraphEnd + 2);
  return doc.slice(start, tableEnd);
}

/** The field names a definition documents: first cells of its table rows and keys of its JSON literals. */
function documentedFields(definition: string): string[] {
  const fromTable = [...definition.matchAll(/^\| `(\w+)` \|/gm)].map((match) => match[1] ?? '');
  const fromJson = [...definition.matchAll(/"(\w+)":/g)].map((match) => match[1] ?? '');
  return [...new Set([...fromTable, ...fromJson])].sort();
}

/** Every key an object schema, or any option of a discriminated union of them, can carry. */
function schemaFields(schema: z.ZodMiniObject | z.ZodMiniDiscriminatedUnion<z.ZodMiniObject[]>): string[] {
  const objects: readonly z.ZodMiniObject[] = 'shape' in schema ? [schema] : (schema._zod.def.options as z.ZodMiniObject[]);
  return [...new Set(objects.flatMap((object) => Object.keys(object.shape)))].sort();
}

const DEFINITIONS = {
  HeartbeatAck: HeartbeatAckSchema,
  TimeoutNoticeAck: TimeoutNoticeAckSchema,
  UnsubscribeJobAck: UnsubscribeJobAckSchema,
  ErrorAck: ErrorAckSchema,
  ProtocolError: ProtocolErrorSchema,
} satisfies Record<string, Parameters<typeof schemaFields>[0]>;

const PAYLOADS: Record<EventName, z.ZodMiniObject[]> = {
  'subscribe-job': [SubscribeJobRequestSchema, SubscribeJobOkSchema],
  'unsubscribe-job': [UnsubscribeJobRequestSchema],
  'job-update': [JobUpdateSchema],
  'job-expired': [JobExpiredSchema],
  heartbeat: [HeartbeatSchema],
  'server-timeout-notice': [TimeoutNoticeSchema],
};

describe('PROTOCOL.md', () => {
  it.each(Object.values(EventName))('has a section and an events-table row for %s', (event) => {
    expect(sectionOf(event)).not.toBe('');
    expect(doc).toMatch(rowFor(event));
  });

  it.each(Object.values(EventName))('lists every payload field of %s in its section', (event) => {
    const section = sectionOf(event);
    for (const schema of PAYLOADS[event]) {
      for (const field of Object.keys(schema.shape)) expect(section, `${event}.${field}`).toContain(`\`${field}\``);
    }
  });

  it.each(Object.entries(DEFINITIONS))('documents exactly the fields of %s that its schema has', (name, schema) => {
    const definition = definitionOf(name);
    expect(definition, name).not.toBe('');
    expect(documentedFields(definition)).toEqual(schemaFields(schema));
  });

  it('says the welcome heartbeat asks for no acknowledgement and every probe does', () => {
    const section = flowed(sectionOf(EventName.Heartbeat));
    expect(section).toContain('The **welcome heartbeat** carries the server\'s timing (`intervalMs`, `timeoutMs`) and asks for no acknowledgement');
    expect(section).toContain('A client answers a heartbeat exactly when it asks for an acknowledgement.');
  });

  it('documents every handshake auth field', () => {
    for (const field of Object.keys(HandshakeAuthSchema.shape)) expect(doc).toMatch(rowFor(field));
  });

  it.each(Object.values(ErrorCode))('documents the error code %s in the error table', (code) => {
    expect(doc).toMatch(rowFor(code));
  });

  it('lists in the handshake table exactly the codes the error table gives for the handshake', () => {
    const tableAfter = (header: string): string => doc.slice(doc.indexOf(header), doc.indexOf('\n\n', doc.indexOf(header)));
    const codesOf = (rows: string): string[] => [...rows.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((match) => match[1] ?? '').sort();
    const handshakeTable = tableAfter('| `data.code` | when | what the client does |');
    const errorRows = tableAfter('| code | where | retry? |').split('\n');
    const givenAtHandshake = errorRows.filter((row) => /^\| `[A-Z_]+` \| [^|]*(handshake|anywhere)/.test(row)).join('\n');
    expect(codesOf(handshakeTable)).toEqual(codesOf(givenAtHandshake));
    expect(codesOf(handshakeTable)).toContain(ErrorCode.FORBIDDEN);
  });

  it.each(NOTICE_REASONS)('says what a client does for the notice reason %s', (reason) => {
    expect(doc).toMatch(rowFor(reason));
  });

  it('names every job status and job-expired reason', () => {
    for (const status of JOB_STATUSES) expect(doc).toContain(`\`${status}\``);
    for (const reason of JOB_EXPIRED_REASONS) expect(sectionOf(EventName.JobExpired)).toContain(`\`${reason}\``);
  });

  it('states the limits the schemas enforce', () => {
    expect(flowedDoc).toContain(`(version ${PROTOCOL_VERSION})`);
    expect(flowedDoc).toContain(`protocolVersion: ${PROTOCOL_VERSION}`);
    expect(flowedDoc).toContain(`1–${MAX_JOB_ID_LENGTH} characters`);
    expect(flowedDoc).toContain(`at most ${MAX_TOKEN_LENGTH} characters`);
    expect(flowedDoc).toContain(`${MAX_JOB_DATA_BYTES / 1024} KiB (${MAX_JOB_DATA_BYTES} bytes)`);
    expect(flowedDoc).toContain(`at most ${MAX_JOB_DATA_DEPTH} nested levels`);
    expect(flowedDoc).toContain(`at most ${MAX_REPLAY_UPDATES} per`);
    expect(flowedDoc).toContain(`at most ${MAX_ERROR_MESSAGE_LENGTH} characters`);
    expect(flowedDoc).toContain(`${MAX_CLIENT_PACKET_BYTES} bytes (\`MAX_CLIENT_PACKET_BYTES\`)`);
    expect(readme).toContain(`| \`MAX_CLIENT_PACKET_BYTES\` | \`${MAX_CLIENT_PACKET_BYTES}\` |`);
    for (const key of ['__proto__', 'constructor', 'prototype']) expect(doc).toContain(`\`${key}\``);
  });

  it('has the four sequence diagrams', () => {
    expect(doc.match(/```mermaid\nsequenceDiagram/g)).toHaveLength(4);
    for (const title of ['### Subscribe', '### Reconnect and resubscribe with `lastSeq`', '### Timeout notice', '### Shutdown']) expect(doc).toContain(title);
  });

  it('ships in the npm package', () => {
    expect(packageJson.files).toContain('PROTOCOL.md');
  });
});

describe('README.md', () => {
  const LIMITS = {
    PROTOCOL_VERSION,
    MAX_JOB_ID_LENGTH,
    MAX_TOKEN_LENGTH,
    MAX_JOB_DATA_BYTES,
    MAX_JOB_DATA_DEPTH,
    MAX_REPLAY_UPDATES,
    MAX_ERROR_MESSAGE_LENGTH,
  };

  it.each(Object.entries(LIMITS))('states the value of %s in the limits table', (name, value) => {
    expect(readme).toMatch(new RegExp(`^\\| \`${name}\` \\| \`${value}\``, 'm'));
  });

  it('links PROTOCOL.md', () => {
    expect(readme).toContain('](./PROTOCOL.md)');
  });
});
