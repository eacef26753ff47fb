import { AppError } from '../errors/app-error.js';

/**
 * Parser for Keyfactor Command's `QueryString` filter language (keyfactor-api.md §1.8):
 * `<Field> <op> <value>` clauses joined by AND/OR, with optional parentheses. It is tolerant in the ways real
 * clients need: operators with or without the leading dash (keyfactor-go-client sends `Name eq 'x'`), single or
 * double quotes, and case-insensitive keywords. It knows nothing about fields or types; the storage layer
 * checks those against a per-endpoint whitelist.
 *
 * Positions in error messages count characters from 1.
 */

export const comparisonOperators = [
  'eq',
  'ne',
  'contains',
  'notcontains',
  'startswith',
  'endswith',
  'lt',
  'le',
  'gt',
  'ge',
] as const;

export type ComparisonOperator = (typeof comparisonOperators)[number];

/** `bare` is an unquoted token such as `42`, `true` or `2024-01-01`; its meaning depends on the field's type. */
export type QueryValue = { kind: 'string'; text: string } | { kind: 'null' } | { kind: 'bare'; text: string };

export type QueryExpression =
  | { kind: 'comparison'; field: string; operator: ComparisonOperator; value: QueryValue }
  | { kind: 'and' | 'or'; left: QueryExpression; right: QueryExpression };

export const queryStringLimits = {
  maxLength: 4000,
  maxClauses: 50,
  maxNestingDepth: 20,
} as const;

export function parseQueryString(text: string): QueryExpression | undefined {
  if (text.length > queryStringLimits.maxLength) {
    throw queryError(`text is ${text.length} characters long; the limit is ${queryStringLimits.maxLength}`);
  }
  const tokens = tokenize(text);
  if (tokens.length === 0) return undefined;
  return new Parser(tokens, text.length + 1).parseQuery();
}

/** Renders an operator the way Keyfactor documents it, for error messages. */
export function formatOperator(operator: ComparisonOperator): string {
  return `-${operator}`;
}

/** Shortens caller-supplied text quoted in an error message so one bad value cannot produce a huge response. */
export function quoteForMessage(text: string): string {
  const maxQuotedLength = 60;
  return text.length > maxQuotedLength ? `'${text.slice(0, maxQuotedLength)}…'` : `'${text}'`;
}

function queryError(detail: string): AppError {
  return new AppError('validation', `QueryString: ${detail}`);
}

type Token =
  | { kind: 'open' | 'close'; position: number }
  | { kind: 'word'; text: string; position: number }
  | { kind: 'quoted'; text: string; position: number };

const operatorList = comparisonOperators.map(formatOperator).join(', ');
const fieldNamePattern = /^[A-Za-z0-9_.]+$/;
const whitespacePattern = /\s/;

function isQuote(character: string): boolean {
  return character === '"' || character === "'";
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < text.length) {
    const character = text.charAt(index);
    if (whitespacePattern.test(character)) {
      index += 1;
    } else if (character === '(' || character === ')') {
      tokens.push({ kind: character === '(' ? 'open' : 'close', position: index + 1 });
      index += 1;
    } else if (isQuote(character)) {
      const { value, end } = readQuoted(text, index);
      tokens.push({ kind: 'quoted', text: value, position: index + 1 });
      index = end;
    } else {
      const start = index;
      // A quote ends a word rather than joining it, so `-eq"x"` reads as an operator followed by a value.
      while (index < text.length) {
        const next = text.charAt(index);
        if (whitespacePattern.test(next) || next === '(' || next === ')' || isQuote(next)) break;
        index += 1;
      }
      tokens.push({ kind: 'word', text: text.slice(start, index), position: start + 1 });
    }
  }
  return tokens;
}

/**
 * Reads a quoted value starting at the opening quote. Inside it, a doubled quote (SQL style) or a backslash
 * before the closing quote character (C style) stands for a literal quote. Any other backslash is literal,
 * because store paths such as `\\server\share` must survive unchanged.
 */
function readQuoted(text: string, start: number): { value: string; end: number } {
  const quote = text.charAt(start);
  let value = '';
  let index = start + 1;
  while (index < text.length) {
    const character = text.charAt(index);
    const next = text.charAt(index + 1);
    if ((character === '\\' || character === quote) && next === quote) {
      value += quote;
      index += 2;
    } else if (character === quote) {
      return { value, end: index + 1 };
    } else {
      value += character;
      index += 1;
    }
  }
  throw queryError(`unterminated quoted value starting at position ${start + 1}`);
}

function isKeyword(token: Token | undefined, keyword: 'AND' | 'OR'): boolean {
  return token?.kind === 'word' && token.text.toUpperCase() === keyword;
}

function isAnyKeyword(text: string): boolean {
  const upper = text.toUpperCase();
  return upper === 'AND' || upper === 'OR';
}

function describeToken(token: Token | undefined): string {
  if (token === undefined) return 'end of text';
  switch (token.kind) {
    case 'open':
      return "'('";
    case 'close':
      return "')'";
    case 'quoted':
      return `quoted value ${quoteForMessage(token.text)}`;
    case 'word':
      return quoteForMessage(token.text);
  }
}

function parseOperator(text: string): ComparisonOperator | undefined {
  const name = (text.startsWith('-') ? text.slice(1) : text).toLowerCase();
  return comparisonOperators.find((operator) => operator === name);
}

class Parser {
  private index = 0;
  private clauseCount = 0;
  private depth = 0;

  constructor(
    private readonly tokens: readonly Token[],
    private readonly endPosition: number,
  ) {}

  parseQuery(): QueryExpression {
    const expression = this.parseOr();
    const rest = this.peek();
    if (rest !== undefined) {
      if (rest.kind === 'close') throw queryError(`unmatched ')' at position ${rest.position}`);
      throw queryError(`expected AND or OR at position ${rest.position}, found ${describeToken(rest)}`);
    }
    return expression;
  }

  private peek(): Token | undefined {
    return this.tokens[this.index];
  }

  private positionOf(token: Token | undefined): number {
    return token?.position ?? this.endPosition;
  }

  private parseOr(): QueryExpression {
    let left = this.parseAnd();
    while (isKeyword(this.peek(), 'OR')) {
      this.index += 1;
      left = { kind: 'or', left, right: this.parseAnd() };
    }
    return left;
  }

  private parseAnd(): QueryExpression {
    let left = this.parsePrimary();
    while (isKeyword(this.peek(), 'AND')) {
      this.index += 1;
      left = { kind: 'and', left, right: this.parsePrimary() };
    }
    return left;
  }

  private parsePrimary(): QueryExpression {
    const token = this.peek();
    if (token?.kind !== 'open') return this.parseComparison();

    if (this.depth >= queryStringLimits.maxNestingDepth) {
      throw queryError(
        `parentheses nested more than ${queryStringLimits.maxNestingDepth} deep at position ${token.position}`,
      );
    }
    this.index += 1;
    this.depth += 1;
    const inner = this.parseOr();
    const closing = this.peek();
    if (closing?.kind !== 'close') {
      if (closing === undefined) throw queryError(`missing ')' to close '(' at position ${token.position}`);
      throw queryError(
        `expected AND, OR or ')' at position ${closing.position}, found ${describeToken(closing)}`,
      );
    }
    this.index += 1;
    this.depth -= 1;
    return inner;
  }

  private parseComparison(): QueryExpression {
    const fieldToken = this.peek();
    if (fieldToken?.kind !== 'word' || isAnyKeyword(fieldToken.text)) {
      throw queryError(
        `expected a field name at position ${this.positionOf(fieldToken)}, found ${describeToken(fieldToken)}`,
      );
    }
    if (!fieldNamePattern.test(fieldToken.text)) {
      throw queryError(
        `invalid field name ${quoteForMessage(fieldToken.text)} at position ${fieldToken.position}; ` +
          'field names use letters, digits, underscore and dot',
      );
    }
    this.clauseCount += 1;
    if (this.clauseCount > queryStringLimits.maxClauses) {
      throw queryError(
        `more than ${queryStringLimits.maxClauses} clauses; clause ${this.clauseCount} starts at position ` +
          `${fieldToken.position}`,
      );
    }
    this.index += 1;

    const operatorToken = this.peek();
    if (operatorToken?.kind !== 'word') {
      throw queryError(
        `expected an operator after field ${quoteForMessage(fieldToken.text)} at position ` +
          `${this.positionOf(operatorToken)}, found ${describeToken(operatorToken)}; use one of ${operatorList}`,
      );
    }
    const operator = parseOperator(operatorToken.text);
    if (operator === undefined) {
      throw queryError(
        `unknown operator ${quoteForMessage(operatorToken.text)} at position ${operatorToken.position}; ` +
          `use one of ${operatorList}`,
      );
    }
    this.index += 1;

    const valueToken = this.peek();
    const value = this.readValue(valueToken);
    if (value === undefined) {
      throw queryError(
        `expected a value after ${quoteForMessage(operatorToken.text)} at position ` +
          `${this.positionOf(valueToken)}, found ${describeToken(valueToken)}`,
      );
    }
    this.index += 1;
    return { kind: 'comparison', field: fieldToken.text, operator, value };
  }

  private readValue(token: Token | undefined): QueryValue | undefined {
    if (token?.kind === 'quoted') return { kind: 'string', text: token.text };
    // A bare AND/OR where a value belongs is almost always a missing value, so it is reported, not matched.
    if (token?.kind !== 'word' || isAnyKeyword(token.text)) return undefined;
    if (token.text.toUpperCase() === 'NULL') return { kind: 'null' };
    return { kind: 'bare', text: token.text };
  }
}
