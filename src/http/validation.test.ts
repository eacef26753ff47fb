import assert from 'node:assert/strict';
import { test } from 'node:test';
import Type from 'typebox';
import { NamedIntegerEnum, Nullable, SecretString } from './schema-helpers.js';
import { describeValidationError, validatorCompiler } from './validation.js';

function firstMessage(schema: object, value: unknown, httpPart = 'body'): string {
  const validate = validatorCompiler({ schema, httpPart, method: 'POST', url: '/' }) as ((
    data: unknown,
  ) => boolean) & {
    errors?: never[];
  };
  assert.equal(validate(value), false);
  return describeValidationError(validate.errors ?? [], httpPart);
}

const Claim = Type.Object({
  ClaimType: NamedIntegerEnum({ User: 0, Group: 1 }),
  Value: SecretString(10, 1),
  Note: Type.Optional(Nullable(Type.String({ maxLength: 5 }))),
  Kind: Type.Optional(Nullable(NamedIntegerEnum({ Read: 0, Modify: 1 }))),
});

test('a value outside an enum names the field and lists the accepted names and numbers', () => {
  assert.equal(
    firstMessage(Claim, { ClaimType: 'Robot', Value: 'x' }),
    "'ClaimType' has a value that is not allowed; use one of User (0), Group (1)",
  );
});

test('messages name the field and never quote the value that was sent', () => {
  const message = firstMessage(Claim, { ClaimType: 0, Value: 'secret-value-too-long' });
  assert.equal(message, "'Value' must be at most 10 characters long");
  assert.ok(!message.includes('secret-value'));
});

test('bodies are not coerced: a number where a string is declared is refused', () => {
  assert.equal(firstMessage(Claim, { ClaimType: 0, Value: 12345 }), "'Value' must be of type string");
});

test('query strings are coerced, since everything in a URL is text', () => {
  const Query = Type.Object({ ReturnLimit: Type.Integer({ minimum: 1 }) });
  const validate = validatorCompiler({ schema: Query, httpPart: 'querystring', method: 'GET', url: '/' }) as (
    data: unknown,
  ) => boolean;
  const query = { ReturnLimit: '50' };
  assert.equal(validate(query), true);
  assert.deepEqual(query, { ReturnLimit: 50 });
  assert.equal(firstMessage(Query, { ReturnLimit: '0' }, 'querystring'), "'ReturnLimit' must be >= 1");
});

test('a nullable field reports why its value failed, not merely that the union did', () => {
  assert.equal(
    firstMessage(Claim, { ClaimType: 0, Value: 'x', Note: 'too long' }),
    "'Note' must be at most 5 characters long",
  );
  assert.equal(
    firstMessage(Claim, { ClaimType: 0, Value: 'x', Kind: 'Delete' }),
    "'Kind' has a value that is not allowed; use one of Read (0), Modify (1)",
  );
});

test('a schema is compiled when its route is first called, not when the route is registered', () => {
  const validate = validatorCompiler({
    schema: { type: 'no-such-type' },
    httpPart: 'body',
    method: 'POST',
    url: '/',
  }) as (data: unknown) => boolean;
  assert.throws(() => validate({}), /schema is invalid/);
});
