import assert from 'node:assert/strict';
import { test } from 'node:test';
import Type from 'typebox';
import { serializerCompiler } from './serialization.js';

const route = { method: 'GET', url: '/', httpStatus: '200' };

test('responses are written as Fastify writes them: declared fields only, in declared types', () => {
  const serialize = serializerCompiler({
    ...route,
    schema: Type.Object({ Id: Type.Integer(), Name: Type.String(), HasValue: Type.Boolean() }),
  });
  assert.equal(
    serialize({ Id: 7, Name: 'db', HasValue: true, SecretValue: 'never written' }),
    '{"Id":7,"Name":"db","HasValue":true}',
  );
});

test('a serializer is built on the first response, not when the route is registered', () => {
  const serialize = serializerCompiler({
    ...route,
    schema: { type: 'object', properties: { Id: { $ref: '#/nowhere' } } },
  });
  assert.throws(() => serialize({ Id: 1 }));
});
