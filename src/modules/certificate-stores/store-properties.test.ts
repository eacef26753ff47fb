import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AppError } from '../../errors/app-error.js';
import { parseStoreProperties } from './store-properties.js';
import type { StorePropertyRule } from './store-type-model.js';
import { storePropertyTypes } from './store-type-model.js';

const rules: StorePropertyRule[] = [
  { name: 'ServerUsername', type: storePropertyTypes.Secret, required: false },
  { name: 'ServerPassword', type: storePropertyTypes.Secret, required: false },
  { name: 'ServerUseSsl', type: storePropertyTypes.Bool, required: false },
  { name: 'Region', type: storePropertyTypes.String, required: false },
];
const label = "certificate store type 'JKS' (0)";

function rejects(text: string, message: RegExp, withRules: StorePropertyRule[] = rules): void {
  assert.throws(
    () => parseStoreProperties(text, withRules, label),
    (error: unknown) => {
      assert.ok(error instanceof AppError);
      assert.equal(error.code, 'validation');
      assert.match(error.message, message);
      return true;
    },
  );
}

describe('parseStoreProperties', () => {
  test('splits plain and secret properties and spells names as the type does', () => {
    const parsed = parseStoreProperties(
      JSON.stringify({
        serveruser: undefined,
        region: { value: 'eu-west-1' },
        ServerUseSsl: true,
        serverPassword: { value: { SecretValue: 'pw' } },
      }),
      rules,
      label,
    );
    assert.deepEqual(
      [...parsed.plain],
      [
        ['Region', 'eu-west-1'],
        ['ServerUseSsl', 'true'],
      ],
    );
    assert.deepEqual([...parsed.secrets], [['ServerPassword', { kind: 'stored', value: 'pw' }]]);
  });

  test('empty or absent text means no properties', () => {
    for (const text of [null, undefined, '', '  ']) {
      const parsed = parseStoreProperties(text, rules, label);
      assert.equal(parsed.plain.size + parsed.secrets.size, 0);
    }
  });

  test('refuses text that is not a JSON object, without quoting it', () => {
    rejects('{"ServerPassword": "hunter2"', /^'Properties' is not valid JSON/);
    assert.throws(
      () => parseStoreProperties('{"ServerPassword": "hunter2"', rules, label),
      (error: unknown) => error instanceof AppError && !error.message.includes('hunter2'),
    );
    rejects('[1,2]', /^'Properties' must be a JSON object/);
    rejects('"text"', /^'Properties' must be a JSON object/);
  });

  test('refuses a property the type does not define, so a secret is never kept as plain text', () => {
    rejects(
      JSON.stringify({ ApiKey: { value: { SecretValue: 'k' } } }),
      /Property 'ApiKey' is not defined by certificate store type 'JKS' \(0\)/,
    );
  });

  test('refuses a secret-shaped value for a plain property and a non-boolean for a Bool', () => {
    rejects(
      JSON.stringify({ Region: { value: { SecretValue: 'k' } } }),
      /'Properties.Region' is not a secret property/,
    );
    rejects(JSON.stringify({ ServerUseSsl: 'maybe' }), /'Properties.ServerUseSsl' must be true or false/);
    rejects(JSON.stringify({ Region: ['a'] }), /'Properties.Region' must be a string/);
  });

  test('refuses the same property twice in different cases', () => {
    rejects('{"Region":"a","region":"b"}', /'Properties' names 'Region' more than once/);
  });

  test('enforces required properties', () => {
    const required: StorePropertyRule[] = [
      { name: 'Token', type: storePropertyTypes.Secret, required: true },
    ];
    rejects('{}', /Property 'Token' is required by certificate store type 'JKS' \(0\)/, required);
    assert.equal(parseStoreProperties('{"Token": {"value": null}}', required, label).secrets.size, 1);
  });

  test('bounds the text, the count and each value', () => {
    rejects(`"${'x'.repeat(131073)}"`, /'Properties' must be at most 131072 characters/);
    const many = Object.fromEntries(Array.from({ length: 101 }, (_, index) => [`p${index}`, 'v']));
    rejects(JSON.stringify(many), /at most 100 properties/);
    rejects(
      JSON.stringify({ Region: 'r'.repeat(8193) }),
      /'Properties.Region' must be at most 8192 characters/,
    );
  });
});
