import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { AppError } from '../errors/app-error.js';
import { comparisonOperators, parseQueryString } from './query-string-parser.js';
import type { ComparisonOperator, QueryExpression, QueryValue } from './query-string-parser.js';

const comparison = (field: string, operator: ComparisonOperator, value: QueryValue): QueryExpression => ({
  kind: 'comparison',
  field,
  operator,
  value,
});
const text = (value: string): QueryValue => ({ kind: 'string', text: value });
const bare = (value: string): QueryValue => ({ kind: 'bare', text: value });
const nullValue: QueryValue = { kind: 'null' };
const and = (left: QueryExpression, right: QueryExpression): QueryExpression => ({
  kind: 'and',
  left,
  right,
});
const or = (left: QueryExpression, right: QueryExpression): QueryExpression => ({ kind: 'or', left, right });

function expectQueryError(input: string, messagePart: string): void {
  assert.throws(
    () => parseQueryString(input),
    (err: unknown) => {
      assert.ok(err instanceof AppError, `expected an AppError, got ${String(err)}`);
      assert.equal(err.code, 'validation');
      assert.ok(err.message.startsWith('QueryString: '), err.message);
      assert.ok(err.message.includes(messagePart), `'${err.message}' should include '${messagePart}'`);
      return true;
    },
  );
}

describe('parseQueryString', () => {
  test('returns undefined for empty or whitespace-only text', () => {
    assert.equal(parseQueryString(''), undefined);
    assert.equal(parseQueryString('  \t\n '), undefined);
  });

  const goodInputs: ReadonlyArray<[string, QueryExpression]> = [
    ['SecretName -eq "db-password"', comparison('SecretName', 'eq', text('db-password'))],
    ["Name eq 'my provider'", comparison('Name', 'eq', text('my provider'))],
    ['Name -EQ "x"', comparison('Name', 'eq', text('x'))],
    ['Name EQ x', comparison('Name', 'eq', bare('x'))],
    ['Name -ne "x"', comparison('Name', 'ne', text('x'))],
    ['CN -notcontains "keyother"', comparison('CN', 'notcontains', text('keyother'))],
    ['category -contains "Agent"', comparison('category', 'contains', text('Agent'))],
    ['Name -StartsWith "a"', comparison('Name', 'startswith', text('a'))],
    ['Name endswith "z"', comparison('Name', 'endswith', text('z'))],
    ['Area -lt 2', comparison('Area', 'lt', bare('2'))],
    ['Area -le 2', comparison('Area', 'le', bare('2'))],
    ['Area -gt -2', comparison('Area', 'gt', bare('-2'))],
    ['Area ge 2', comparison('Area', 'ge', bare('2'))],
    ['approved -eq true', comparison('approved', 'eq', bare('true'))],
    ['Created -ge 2024-01-31T10:00:00Z', comparison('Created', 'ge', bare('2024-01-31T10:00:00Z'))],
    ['Description -eq NULL', comparison('Description', 'eq', nullValue)],
    ['Description -ne null', comparison('Description', 'ne', nullValue)],
    ['Description -eq "NULL"', comparison('Description', 'eq', text('NULL'))],
    ['Description -eq ""', comparison('Description', 'eq', text(''))],
    ["Description -eq ''", comparison('Description', 'eq', text(''))],
    ['Name -eq "say ""hi"""', comparison('Name', 'eq', text('say "hi"'))],
    ['Name -eq "say \\"hi\\""', comparison('Name', 'eq', text('say "hi"'))],
    ["Name -eq 'O''Brien'", comparison('Name', 'eq', text("O'Brien"))],
    ["Name -eq 'O\\'Brien'", comparison('Name', 'eq', text("O'Brien"))],
    ['Name -eq \'say "hi"\'', comparison('Name', 'eq', text('say "hi"'))],
    ['StorePath -eq "\\\\server\\share"', comparison('StorePath', 'eq', text('\\\\server\\share'))],
    ['StorePath -eq \\\\server\\share\\', comparison('StorePath', 'eq', bare('\\\\server\\share\\'))],
    ['Name -eq "a AND b OR (c)"', comparison('Name', 'eq', text('a AND b OR (c)'))],
    ['Name -eq "%ME%"', comparison('Name', 'eq', text('%ME%'))],
    ['Container.Name -eq "x"', comparison('Container.Name', 'eq', text('x'))],
    ['Secured_Area_Id2 -eq 1', comparison('Secured_Area_Id2', 'eq', bare('1'))],
    ['Name -eq"x"', comparison('Name', 'eq', text('x'))],
    ['  Name   -eq   "x"  ', comparison('Name', 'eq', text('x'))],
    ['Name -eq "ünïcödé ✓"', comparison('Name', 'eq', text('ünïcödé ✓'))],
    ['a -eq 1 AND b -eq 2', and(comparison('a', 'eq', bare('1')), comparison('b', 'eq', bare('2')))],
    [
      'a -eq 1 and b -eq 2 And c -eq 3',
      and(
        and(comparison('a', 'eq', bare('1')), comparison('b', 'eq', bare('2'))),
        comparison('c', 'eq', bare('3')),
      ),
    ],
    [
      'a -eq 1 OR b -eq 2 AND c -eq 3',
      or(
        comparison('a', 'eq', bare('1')),
        and(comparison('b', 'eq', bare('2')), comparison('c', 'eq', bare('3'))),
      ),
    ],
    [
      'a -eq 1 AND b -eq 2 or c -eq 3',
      or(
        and(comparison('a', 'eq', bare('1')), comparison('b', 'eq', bare('2'))),
        comparison('c', 'eq', bare('3')),
      ),
    ],
    [
      '(a -eq 1 OR b -eq 2) AND c -eq 3',
      and(
        or(comparison('a', 'eq', bare('1')), comparison('b', 'eq', bare('2'))),
        comparison('c', 'eq', bare('3')),
      ),
    ],
    [
      'a -eq 1 AND (b -eq 2 OR (c -eq 3))',
      and(
        comparison('a', 'eq', bare('1')),
        or(comparison('b', 'eq', bare('2')), comparison('c', 'eq', bare('3'))),
      ),
    ],
    ['((((a -eq 1))))', comparison('a', 'eq', bare('1'))],
    ['(a -eq "x")AND(b -eq "y")', and(comparison('a', 'eq', text('x')), comparison('b', 'eq', text('y')))],
  ];

  for (const [input, expected] of goodInputs) {
    test(`parses ${JSON.stringify(input)}`, () => {
      assert.deepEqual(parseQueryString(input), expected);
    });
  }

  const badInputs: ReadonlyArray<[string, string]> = [
    [
      'Name -like "x"',
      "unknown operator '-like' at position 6; use one of -eq, -ne, -contains, -notcontains",
    ],
    ['Name == "x"', "unknown operator '==' at position 6"],
    ['Name - "x"', "unknown operator '-' at position 6"],
    ['Name --eq "x"', "unknown operator '--eq' at position 6"],
    ['Name -eq "abc', 'unterminated quoted value starting at position 10'],
    ["Name -eq 'abc\\'", 'unterminated quoted value starting at position 10'],
    ['Name -eq "x" Other -eq 1', "expected AND or OR at position 14, found 'Other'"],
    ['Name -eq "x" "y"', "expected AND or OR at position 14, found quoted value 'y'"],
    ['Name -eq foo(1)', "expected AND or OR at position 13, found '('"],
    ['Name -eq', "expected a value after '-eq' at position 9, found end of text"],
    ['Name -eq AND b -eq 1', "expected a value after '-eq' at position 10, found 'AND'"],
    ['Name -eq )', "expected a value after '-eq' at position 10, found ')'"],
    ['Name', "expected an operator after field 'Name' at position 5, found end of text"],
    ['Name "x"', "expected an operator after field 'Name' at position 6, found quoted value 'x'"],
    ['"Name" -eq 1', "expected a field name at position 1, found quoted value 'Name'"],
    ['Name -eq 1 AND', 'expected a field name at position 15, found end of text'],
    ['Name -eq 1 AND OR b -eq 2', "expected a field name at position 16, found 'OR'"],
    ['AND a -eq 1', "expected a field name at position 1, found 'AND'"],
    ['()', "expected a field name at position 2, found ')'"],
    [
      'Na-me -eq 1',
      "invalid field name 'Na-me' at position 1; field names use letters, digits, underscore and dot",
    ],
    ['Näme -eq 1', "invalid field name 'Näme' at position 1"],
    ['(a -eq 1', "missing ')' to close '(' at position 1"],
    ['((a -eq 1)', "missing ')' to close '(' at position 1"],
    ['(a -eq 1 b -eq 2)', "expected AND, OR or ')' at position 10, found 'b'"],
    ['a -eq 1)', "unmatched ')' at position 8"],
    ['a -eq 1 AND b -eq 2) OR c -eq 3', "unmatched ')' at position 20"],
    [`${'('.repeat(21)}a -eq 1${')'.repeat(21)}`, 'parentheses nested more than 20 deep at position 21'],
    [
      Array.from({ length: 51 }, (_, index) => `f${index} -eq ${index}`).join(' AND '),
      'more than 50 clauses; clause 51 starts at position',
    ],
    ['a'.repeat(4001), 'text is 4001 characters long; the limit is 4000'],
    [' '.repeat(4001), 'text is 4001 characters long; the limit is 4000'],
    [`Name -eq "${'x'.repeat(200)}`, 'unterminated quoted value starting at position 10'],
  ];

  for (const [input, messagePart] of badInputs) {
    test(`rejects ${JSON.stringify(input.length > 60 ? `${input.slice(0, 60)}…` : input)} with a precise message`, () => {
      expectQueryError(input, messagePart);
    });
  }

  test('accepts exactly 50 clauses, 20 levels of parentheses and 4000 characters', () => {
    const fiftyClauses = Array.from({ length: 50 }, (_, index) => `f${index} -eq ${index}`).join(' OR ');
    assert.equal(parseQueryString(fiftyClauses)?.kind, 'or');
    const twentyDeep = `${'('.repeat(20)}a -eq 1${')'.repeat(20)}`;
    assert.deepEqual(parseQueryString(twentyDeep), comparison('a', 'eq', bare('1')));
    const fourThousand = `Name -eq "${'x'.repeat(4000 - 11)}"`;
    assert.equal(fourThousand.length, 4000);
    assert.deepEqual(parseQueryString(fourThousand), comparison('Name', 'eq', text('x'.repeat(3989))));
  });

  test('shortens long caller text quoted in an error message', () => {
    assert.throws(
      () => parseQueryString(`Name -eq "x" ${'y'.repeat(3000)}`),
      (err: unknown) => err instanceof AppError && err.message.length < 200,
    );
  });

  test('never throws anything but a validation AppError for arbitrary text', () => {
    const tokenSoup = fc
      .array(
        fc.constantFrom(
          'Name',
          'a.b',
          ' ',
          '  ',
          '-eq',
          'eq',
          '-contains',
          '-lt',
          '-like',
          'AND',
          'or',
          '(',
          ')',
          '"',
          "'",
          '""',
          '\\',
          '\\"',
          'NULL',
          '42',
          'x y',
          '2024-01-01',
          '%',
          '\n',
        ),
        { maxLength: 40 },
      )
      .map((parts) => parts.join(''));
    const anyText = fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), tokenSoup);
    fc.assert(
      fc.property(anyText, (input) => {
        try {
          parseQueryString(input);
        } catch (err) {
          return (
            err instanceof AppError && err.code === 'validation' && err.message.startsWith('QueryString: ')
          );
        }
        return true;
      }),
      { numRuns: 2000 },
    );
  });

  test('parses any rendered expression back to the same tree', () => {
    const keyword = /^(and|or|null)$/i;
    const fieldName = fc.stringMatching(/^[A-Za-z0-9_.]{1,12}$/).filter((name) => !keyword.test(name));
    const bareText = fc.stringMatching(/^[A-Za-z0-9.:+\-%\\_]{1,12}$/).filter((word) => !keyword.test(word));
    const value: fc.Arbitrary<QueryValue> = fc.oneof(
      // A backslash directly before a quote, or at the very end, always reads as an escaped quote.
      fc
        .string({ maxLength: 20 })
        .filter((content) => !/\\(["']|$)/.test(content))
        .map((content) => text(content)),
      fc.constant(nullValue),
      bareText.map((content) => bare(content)),
    );
    const leaf = fc.record(
      {
        kind: fc.constant('comparison' as const),
        field: fieldName,
        operator: fc.constantFrom(...comparisonOperators),
        value,
      },
      { noNullPrototype: true },
    );
    const { expression } = fc.letrec<{ expression: QueryExpression }>((tie) => ({
      expression: fc.oneof(
        { maxDepth: 5 },
        leaf,
        fc.record(
          {
            kind: fc.constantFrom('and' as const, 'or' as const),
            left: tie('expression'),
            right: tie('expression'),
          },
          { noNullPrototype: true },
        ),
      ),
    }));
    const style = fc.record({
      dash: fc.boolean(),
      upper: fc.boolean(),
      singleQuotes: fc.boolean(),
      backslashEscapes: fc.boolean(),
    });

    fc.assert(
      fc.property(expression, style, (tree, options) => {
        const render = (node: QueryExpression): string => {
          if (node.kind !== 'comparison') {
            const keywordText = options.upper ? node.kind.toUpperCase() : node.kind;
            return `(${render(node.left)} ${keywordText} ${render(node.right)})`;
          }
          const operatorText = `${options.dash ? '-' : ''}${node.operator}`;
          return `${node.field} ${options.upper ? operatorText.toUpperCase() : operatorText} ${renderValue(node.value)}`;
        };
        const renderValue = (node: QueryValue): string => {
          if (node.kind === 'null') return options.upper ? 'NULL' : 'null';
          if (node.kind === 'bare') return node.text;
          const quote = options.singleQuotes ? "'" : '"';
          const escapedQuote = options.backslashEscapes ? `\\${quote}` : `${quote}${quote}`;
          return `${quote}${node.text.split(quote).join(escapedQuote)}${quote}`;
        };
        assert.deepEqual(parseQueryString(render(tree)), tree);
      }),
      { numRuns: 500 },
    );
  });
});
