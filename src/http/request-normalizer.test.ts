import assert from 'node:assert/strict';
import { test } from 'node:test';
import Type from 'typebox';
import { normalizeQuery, normalizeToSchema } from './request-normalizer.js';
import { NamedIntegerEnum } from './schema-helpers.js';

const Secret = Type.Object({
  SecretValue: Type.Optional(Type.String()),
  Provider: Type.Optional(Type.Integer()),
  Parameters: Type.Optional(Type.Record(Type.String(), Type.String())),
});
const Store = Type.Object({
  Storepath: Type.String(),
  Password: Type.Optional(Secret),
  Tags: Type.Optional(Type.Array(Type.Object({ Name: Type.String() }))),
  Kind: Type.Optional(NamedIntegerEnum({ String: 0, Bool: 1, Secret: 3 })),
});

test('property names are matched without regard to case, at every depth', () => {
  const normalized = normalizeToSchema(
    { storePath: '/x', password: { secretvalue: 'p' }, TAGS: [{ name: 'a' }] },
    Store,
  );
  assert.deepEqual(normalized, { Storepath: '/x', Password: { SecretValue: 'p' }, Tags: [{ Name: 'a' }] });
});

test('unknown properties are dropped rather than refused', () => {
  assert.deepEqual(normalizeToSchema({ Storepath: '/x', Extra: 1 }, Store as never), { Storepath: '/x' });
});

test('map keys keep their spelling, since they are names chosen by the client', () => {
  const normalized = normalizeToSchema({ password: { parameters: { SecretName: 'db', safe: 's' } } }, Store);
  assert.deepEqual(normalized, { Password: { Parameters: { SecretName: 'db', safe: 's' } } });
});

test('enum names become their numbers, in any case; unknown names are left for validation to refuse', () => {
  assert.deepEqual(normalizeToSchema({ Storepath: '/', kind: 'secret' }, Store as never), {
    Storepath: '/',
    Kind: 3,
  });
  assert.deepEqual(normalizeToSchema({ Storepath: '/', Kind: 'Nope' }, Store as never), {
    Storepath: '/',
    Kind: 'Nope',
  });
  assert.deepEqual(normalizeToSchema({ Storepath: '/', Kind: 1 }, Store as never), {
    Storepath: '/',
    Kind: 1,
  });
});

test('the same property twice in different cases is refused, naming the property', () => {
  for (const value of [
    { storepath: 'a', Storepath: 'b' },
    { Storepath: 'b', STOREPATH: 'a' },
  ]) {
    assert.throws(() => normalizeToSchema(value, Store), {
      message: "The property 'Storepath' is given more than once, in different case",
    });
  }
});

test('query names accept any case and the older pq. prefix; a repeated name keeps its last value', () => {
  const Query = Type.Object({
    QueryString: Type.Optional(Type.String()),
    ReturnLimit: Type.Optional(Type.Integer()),
  });
  assert.deepEqual(normalizeQuery({ 'pq.queryString': 'a', returnlimit: ['5', '10'] }, Query as never), {
    QueryString: 'a',
    ReturnLimit: '10',
  });
});

test('values that are not objects pass through untouched for validation to judge', () => {
  assert.equal(normalizeToSchema('text', Store as never), 'text');
  assert.equal(normalizeToSchema(null, Store as never), null);
  assert.deepEqual(normalizeToSchema([1], Store as never), [1]);
});
