/** The fields of a validation issue that its message is made from: zod's raw issue shape, which the wire checks share. */
export interface IssueFacts {
  readonly code: string;
  readonly input?: unknown | undefined;
  readonly expected?: string | undefined;
  readonly origin?: string | undefined;
  readonly minimum?: number | bigint | undefined;
  readonly maximum?: number | bigint | undefined;
  readonly inclusive?: boolean | undefined;
  readonly values?: readonly unknown[] | undefined;
  readonly keys?: readonly string[] | undefined;
  readonly format?: string | undefined;
  readonly pattern?: string | undefined;
  readonly message?: string | undefined;
}

const UNITS: Readonly<Record<string, string>> = { string: 'characters', array: 'items' };

function typeOf(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'array';
  if (typeof input === 'number' && !Number.isFinite(input)) return String(input);
  return typeof input;
}

const quote = (value: unknown): string => (typeof value === 'string' ? JSON.stringify(value) : String(value));

function bound(kind: 'small' | 'big', facts: IssueFacts, limit: number | bigint | undefined): string {
  const sign = kind === 'small' ? '>' : '<';
  const unit = UNITS[facts.origin ?? ''];
  const adjective = `${sign}${facts.inclusive === false ? '' : '='}${String(limit)}`;
  return `Too ${kind}: expected ${facts.origin ?? 'value'} to ${unit ? `have ${adjective} ${unit}` : `be ${adjective}`}`;
}

/**
 * An English sentence for a validation issue, in zod's English wording: the issue's own message when the schema gave
 * one, else one made from its code. Used as the error map of every parse, as zod's mini API loads no locale and the
 * library leaves zod's global configuration to the application.
 */
export function describeIssue(facts: IssueFacts): string {
  if (facts.message !== undefined && facts.message !== 'Invalid input') return facts.message;
  switch (facts.code) {
    case 'invalid_type':
      return `Invalid input: expected ${facts.expected}, received ${typeOf(facts.input)}`;
    case 'invalid_value':
      return facts.values?.length === 1 ? `Invalid input: expected ${quote(facts.values[0])}` : `Invalid option: expected one of ${(facts.values ?? []).map(quote).join('|')}`;
    case 'too_small':
      return bound('small', facts, facts.minimum);
    case 'too_big':
      return bound('big', facts, facts.maximum);
    case 'invalid_format':
      return facts.format === 'regex' ? `Invalid string: must match pattern ${facts.pattern}` : `Invalid ${facts.format}`;
    case 'unrecognized_keys':
      return `Unrecognized key${(facts.keys ?? []).length > 1 ? 's' : ''}: ${(facts.keys ?? []).map(quote).join(', ')}`;
    default:
      return 'Invalid input';
  }
}
