import { sql } from 'kysely';
import type { Expression, RawBuilder, SqlBool } from 'kysely';
import { AppError } from '../errors/app-error.js';
import { formatOperator, quoteForMessage } from '../query/query-string-parser.js';
import type { ComparisonOperator, QueryExpression, QueryValue } from '../query/query-string-parser.js';

/**
 * Compiles a parsed `QueryString` into a WHERE expression over a per-endpoint whitelist of fields. Column names
 * come only from the whitelist and every value is a bound parameter, so caller text never becomes SQL.
 *
 * Null semantics follow the C# comparisons Keyfactor's clients are written against rather than SQL's
 * three-valued logic: `-ne` and `-notcontains` also match rows whose column is NULL, because a caller asking
 * for "not X" expects rows that have no value at all. Other operators never match NULL.
 */

export type QueryFieldType = 'string' | 'integer' | 'boolean' | 'date' | 'guid';

/** `column` may be qualified, e.g. `local_entries.secret_name`. */
export interface QueryField {
  column: string;
  type: QueryFieldType;
  /** The column can hold NULL; sorting on it then spells out where NULLs go. */
  nullable?: boolean;
}

/** Keys are the public field names callers write, e.g. `SecretName`. */
export type QueryFieldMap = Readonly<Record<string, QueryField>>;

export function compileQueryFilter(expression: QueryExpression, fields: QueryFieldMap): Expression<SqlBool> {
  const fieldsByLowerName = new Map<string, QueryField>();
  for (const [name, field] of Object.entries(fields)) {
    fieldsByLowerName.set(name.toLowerCase(), field);
  }
  const allowedNames = Object.keys(fields).sort();
  return compileExpression(expression, (name) => {
    const field = fieldsByLowerName.get(name.toLowerCase());
    if (field === undefined) {
      throw queryError(
        `unknown field ${quoteForMessage(name)}; allowed fields are ${allowedNames.join(', ') || '(none)'}`,
      );
    }
    return field;
  });
}

type FieldLookup = (name: string) => QueryField;
type Comparison = Extract<QueryExpression, { kind: 'comparison' }>;
type Condition = RawBuilder<SqlBool>;

const operatorsByType: Readonly<Record<QueryFieldType, readonly ComparisonOperator[]>> = {
  string: ['eq', 'ne', 'contains', 'notcontains', 'startswith', 'endswith'],
  integer: ['eq', 'ne', 'lt', 'le', 'gt', 'ge'],
  boolean: ['eq', 'ne'],
  date: ['eq', 'ne', 'lt', 'le', 'gt', 'ge'],
  guid: ['eq', 'ne'],
};

const orderingSql = {
  lt: sql.raw('<'),
  le: sql.raw('<='),
  gt: sql.raw('>'),
  ge: sql.raw('>='),
} as const;

function queryError(detail: string): AppError {
  return new AppError('validation', `QueryString: ${detail}`);
}

function compileExpression(expression: QueryExpression, lookup: FieldLookup): Condition {
  switch (expression.kind) {
    case 'and':
      return sql<SqlBool>`(${compileExpression(expression.left, lookup)} and ${compileExpression(expression.right, lookup)})`;
    case 'or':
      return sql<SqlBool>`(${compileExpression(expression.left, lookup)} or ${compileExpression(expression.right, lookup)})`;
    case 'comparison':
      return compileComparison(expression, lookup(expression.field));
  }
}

function compileComparison(comparison: Comparison, field: QueryField): Condition {
  const { operator, value } = comparison;
  const allowed = operatorsByType[field.type];
  if (!allowed.includes(operator)) {
    throw queryError(
      `field ${quoteForMessage(comparison.field)} does not support ${formatOperator(operator)}; ` +
        `use one of ${allowed.map(formatOperator).join(', ')}`,
    );
  }
  const column = sql.ref(field.column);
  if (value.kind === 'null') {
    if (operator === 'eq') return sql<SqlBool>`${column} is null`;
    if (operator === 'ne') return sql<SqlBool>`${column} is not null`;
    throw queryError(
      `NULL can only be compared with -eq or -ne, not ${formatOperator(operator)} (field ` +
        `${quoteForMessage(comparison.field)})`,
    );
  }
  const context = { field: comparison.field, column, operator };
  switch (field.type) {
    case 'string':
      return compileString(context, value.text);
    case 'integer':
      return compileScalar(context, parseInteger(comparison.field, value));
    case 'boolean':
      return compileScalar(context, parseBoolean(comparison.field, value));
    case 'guid':
      // GUIDs are stored as text; lower() on the column keeps upper-case rows written by other tools findable.
      return compileScalar({ ...context, column: sql`lower(${column})` }, parseGuid(comparison.field, value));
    case 'date':
      return compileDate(context, parseDate(comparison.field, value));
  }
}

interface ComparisonContext {
  field: string;
  column: RawBuilder<unknown>;
  operator: ComparisonOperator;
}

function matchOrNull(column: RawBuilder<unknown>, condition: Condition): Condition {
  return sql<SqlBool>`(${column} is null or ${condition})`;
}

/** Strings compare case-insensitively, like the SQL Server default collation Keyfactor Command runs on. */
function compileString({ column, operator }: ComparisonContext, text: string): Condition {
  const lowered = sql`lower(${column})`;
  switch (operator) {
    case 'eq':
      return sql<SqlBool>`${lowered} = lower(${text})`;
    case 'ne':
      return matchOrNull(column, sql<SqlBool>`${lowered} <> lower(${text})`);
    case 'contains':
      return likeCondition(lowered, `%${escapeLike(text)}%`);
    case 'notcontains':
      return matchOrNull(column, sql<SqlBool>`not ${likeCondition(lowered, `%${escapeLike(text)}%`)}`);
    case 'startswith':
      return likeCondition(lowered, `${escapeLike(text)}%`);
    case 'endswith':
      return likeCondition(lowered, `%${escapeLike(text)}`);
    case 'lt':
    case 'le':
    case 'gt':
    case 'ge':
      throw new Error(`operator ${operator} reached the string compiler`);
  }
}

function likeCondition(loweredColumn: RawBuilder<unknown>, pattern: string): Condition {
  // PostgreSQL has no default LIKE escape character and SQLite's is off, so it is named explicitly.
  return sql<SqlBool>`(${loweredColumn} like lower(${pattern}) escape '\\')`;
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}

function compileScalar({ column, operator }: ComparisonContext, parameter: number | string): Condition {
  switch (operator) {
    case 'eq':
      return sql<SqlBool>`${column} = ${parameter}`;
    case 'ne':
      return matchOrNull(column, sql<SqlBool>`${column} <> ${parameter}`);
    case 'lt':
    case 'le':
    case 'gt':
    case 'ge':
      return sql<SqlBool>`${column} ${orderingSql[operator]} ${parameter}`;
    case 'contains':
    case 'notcontains':
    case 'startswith':
    case 'endswith':
      throw new Error(`operator ${operator} reached the scalar compiler`);
  }
}

/**
 * A date-only value names a whole UTC day (`Created -eq 2024-01-01` means any time that day); a date-time
 * names an instant. Stored timestamps are ISO-8601 UTC text with milliseconds, so text comparison orders them.
 * The day's end is its last millisecond rather than the next midnight, which keeps 9999-12-31 comparable.
 */
function compileDate({ column, operator }: ComparisonContext, range: DateRange): Condition {
  const { first, last } = range;
  switch (operator) {
    case 'eq':
      return first === last
        ? sql<SqlBool>`${column} = ${first}`
        : sql<SqlBool>`(${column} >= ${first} and ${column} <= ${last})`;
    case 'ne':
      return first === last
        ? matchOrNull(column, sql<SqlBool>`${column} <> ${first}`)
        : matchOrNull(column, sql<SqlBool>`(${column} < ${first} or ${column} > ${last})`);
    case 'lt':
      return sql<SqlBool>`${column} < ${first}`;
    case 'le':
      return sql<SqlBool>`${column} <= ${last}`;
    case 'gt':
      return sql<SqlBool>`${column} > ${last}`;
    case 'ge':
      return sql<SqlBool>`${column} >= ${first}`;
    case 'contains':
    case 'notcontains':
    case 'startswith':
    case 'endswith':
      throw new Error(`operator ${operator} reached the date compiler`);
  }
}

function describeValue(value: Exclude<QueryValue, { kind: 'null' }>): string {
  return quoteForMessage(value.text);
}

const int32Range = { min: -2_147_483_648, max: 2_147_483_647 } as const;

/**
 * Keyfactor's integer query fields are int32 and so are this project's integer columns. PostgreSQL would
 * reject a wider parameter with a driver error, so the range is checked here and reported to the caller.
 */
function parseInteger(field: string, value: Exclude<QueryValue, { kind: 'null' }>): number {
  const parsed = /^[+-]?\d+$/.test(value.text) ? Number(value.text) : Number.NaN;
  if (!(parsed >= int32Range.min && parsed <= int32Range.max)) {
    throw queryError(
      `field ${quoteForMessage(field)} expects an integer between ${int32Range.min} and ${int32Range.max}, ` +
        `found ${describeValue(value)}`,
    );
  }
  return parsed;
}

/** Booleans are stored as integers 0/1 in both databases, so they are bound the same way. */
function parseBoolean(field: string, value: Exclude<QueryValue, { kind: 'null' }>): number {
  const text = value.text.toLowerCase();
  if (text === 'true' || text === '1') return 1;
  if (text === 'false' || text === '0') return 0;
  throw queryError(`field ${quoteForMessage(field)} expects true or false, found ${describeValue(value)}`);
}

const guidPattern = /^\{?([0-9a-f]{8})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{12})\}?$/i;

/** Accepts the forms .NET's Guid.Parse does for the common cases (dashed, 32 digits, braces). */
function parseGuid(field: string, value: Exclude<QueryValue, { kind: 'null' }>): string {
  const match = guidPattern.exec(value.text);
  const hasBalancedBraces = value.text.startsWith('{') === value.text.endsWith('}');
  if (match === null || !hasBalancedBraces) {
    throw queryError(`field ${quoteForMessage(field)} expects a GUID, found ${describeValue(value)}`);
  }
  return match.slice(1).join('-').toLowerCase();
}

interface DateRange {
  first: string;
  last: string;
}

const datePattern =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?$/i;

function parseDate(field: string, value: Exclude<QueryValue, { kind: 'null' }>): DateRange {
  const invalid = (): AppError =>
    queryError(
      `field ${quoteForMessage(field)} expects an ISO-8601 date or date-time such as 2024-01-31 or ` +
        `2024-01-31T13:45:00Z, found ${describeValue(value)}`,
    );
  const match = datePattern.exec(value.text);
  if (match === null) throw invalid();
  const [, year, month, day, hour, minute, second, fraction, offset] = match;
  if (!isCalendarDate(Number(year), Number(month), Number(day))) throw invalid();
  if (Number(hour ?? 0) > 23 || Number(minute ?? 0) > 59 || Number(second ?? 0) > 59) throw invalid();

  const dayText = `${year}-${month}-${day}`;
  if (hour === undefined) {
    const first = Date.parse(`${dayText}T00:00:00.000Z`);
    if (Number.isNaN(first)) throw invalid();
    const millisecondsPerDay = 86_400_000;
    return {
      first: new Date(first).toISOString(),
      last: new Date(first + millisecondsPerDay - 1).toISOString(),
    };
  }
  // Without an offset the value is read as UTC, so the result never depends on the server's time zone.
  const milliseconds = (fraction ?? '').padEnd(3, '0').slice(0, 3);
  const instant = Date.parse(
    `${dayText}T${hour}:${minute}:${second ?? '00'}.${milliseconds}${(offset ?? 'Z').toUpperCase()}`,
  );
  if (Number.isNaN(instant)) throw invalid();
  const instantText = new Date(instant).toISOString();
  // An offset can push an instant past year 9999, whose '+010000-…' text would sort before every stored row.
  if (!/^\d{4}-/.test(instantText)) throw invalid();
  return { first: instantText, last: instantText };
}

function isCalendarDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const isLeapYear = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const daysInMonth = [31, isLeapYear ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return day <= (daysInMonth[month - 1] ?? 0);
}
