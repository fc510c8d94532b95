import { existsSync, readFileSync } from 'node:fs';
import { DiagnosticSeverity, Parser, type AsyncAPIDocumentInterface, type Diagnostic } from '@asyncapi/parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAsyncApiDocument } from './asyncapi';
import { EventName } from './event-names';

const builtDocument = new URL('../asyncapi.json', import.meta.url);
const parser = new Parser();
/** How long one parse may take before the test counts as hung. */
const PARSER_BUDGET_MS = 60_000;

/** Diagnostics that make a document invalid, formatted so a failure names them. */
function errorsOf(diagnostics: Diagnostic[]): string[] {
  return diagnostics
    .filter((diagnostic) => diagnostic.severity === DiagnosticSeverity.Error)
    .map((diagnostic) => `${diagnostic.code} at ${diagnostic.path.join('.')}: ${diagnostic.message}`);
}

describe('createAsyncApiDocument', () => {
  let diagnostics: Diagnostic[] = [];
  let document: AsyncAPIDocumentInterface | undefined;

  // The parser is CPU-bound (seconds on a loaded 2-core machine); its budget is about hanging, not speed.
  beforeAll(async () => {
    ({ document, diagnostics } = await parser.parse(JSON.stringify(createAsyncApiDocument())));
  }, PARSER_BUDGET_MS);

  it('is a valid AsyncAPI 3.0 document for the real parser', { timeout: PARSER_BUDGET_MS }, async () => {
    expect(errorsOf(diagnostics)).toEqual([]);
    expect(errorsOf(await parser.validate(JSON.stringify(createAsyncApiDocument())))).toEqual([]);
    expect(document?.version()).toBe('3.0.0');
  });

  it('would report a broken document, so the check above is not vacuous', { timeout: PARSER_BUDGET_MS }, async () => {
    const { info: _info, ...broken } = createAsyncApiDocument();
    expect(errorsOf(await parser.validate(JSON.stringify(broken)))).not.toEqual([]);
  });

  it('has a channel and an operation for every event, in the right direction', () => {
    const addresses = document!.channels().all().map((channel) => channel.address());
    expect([...addresses].sort()).toEqual(Object.values(EventName).sort());
    const fromClient: string[] = [EventName.SubscribeJob, EventName.UnsubscribeJob];
    const operations = document!.operations().all();
    expect(operations).toHaveLength(Object.values(EventName).length);
    for (const operation of operations) {
      const address = operation.channels().all()[0]?.address() ?? '';
      // The document describes the server: it receives what clients send.
      expect(operation.action()).toBe(fromClient.includes(address) ? 'receive' : 'send');
    }
  });

  it('describes a reply for exactly the events that are acknowledged', () => {
    const withReply = document!
      .operations()
      .all()
      .filter((operation) => operation.reply() !== undefined)
      .map((operation) => operation.channels().all()[0]?.address());
    expect(withReply.sort()).toEqual([EventName.Heartbeat, EventName.ServerTimeoutNotice, EventName.SubscribeJob, EventName.UnsubscribeJob].sort());
  });

  it('carries the schemas of the handshake and of the refusal', () => {
    const components = createAsyncApiDocument()['components'] as { schemas: Record<string, unknown> };
    expect(components.schemas['HandshakeAuth']).toMatchObject({ title: 'HandshakeAuth', additionalProperties: false, required: ['protocolVersion'] });
    expect(components.schemas['ConnectErrorData']).toMatchObject({ title: 'ConnectErrorData', required: ['code', 'message'] });
  });

  it('is the same document every time', () => {
    expect(createAsyncApiDocument()).toStrictEqual(createAsyncApiDocument());
  });
});

/**
 * The document with `oneOf` written `anyOf`: zod 3.25 (whose `zod/v4` code is zod 4.0's) writes a discriminated union
 * as `oneOf`, later zod 4 as `anyOf`, and for options told apart by their discriminator both mean the same.
 */
function sameUnions(document: unknown): unknown {
  return JSON.parse(JSON.stringify(document).replaceAll('"oneOf":', '"anyOf":'));
}

describe('asyncapi.json (committed, rewritten by every build)', () => {
  const written: unknown = existsSync(builtDocument) ? JSON.parse(readFileSync(builtDocument, 'utf8')) : undefined;

  it('equals createAsyncApiDocument(), so it never drifts from the schemas (run the build if this fails)', () => {
    expect(sameUnions(written)).toStrictEqual(sameUnions(JSON.parse(JSON.stringify(createAsyncApiDocument()))));
  });

  it('is valid for the real parser', { timeout: PARSER_BUDGET_MS }, async () => {
    expect(errorsOf(await parser.validate(JSON.stringify(written)))).toEqual([]);
  });
});
