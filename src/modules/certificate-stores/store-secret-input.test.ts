import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AppError } from '../../errors/app-error.js';
import {
  parsePasswordInput,
  parsePropertySecretInput,
  parseSecretInput,
  secretMask,
  storeSecretLimits,
} from './store-secret-input.js';

function rejects(run: () => unknown, message: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof AppError);
    assert.equal(error.code, 'validation');
    assert.match(error.message, message);
    return true;
  });
}

describe('parseSecretInput', () => {
  test('reads the three forms Keyfactor documents, with any casing of the names', () => {
    assert.deepEqual(parseSecretInput({ SecretValue: 'pw' }, 'NewPassword'), { kind: 'stored', value: 'pw' });
    assert.deepEqual(parseSecretInput({ secretvalue: 'pw' }, 'NewPassword'), { kind: 'stored', value: 'pw' });
    assert.deepEqual(parseSecretInput({ provider: 3, parameters: { SecretName: 'db' } }, 'NewPassword'), {
      kind: 'reference',
      providerId: 3,
      parameters: new Map([['SecretName', 'db']]),
    });
    assert.deepEqual(parseSecretInput({ SecretValue: null }, 'NewPassword'), { kind: 'none' });
    assert.deepEqual(parseSecretInput({}, 'NewPassword'), { kind: 'none' });
    assert.deepEqual(parseSecretInput({ SecretValue: '' }, 'NewPassword'), { kind: 'none' });
  });

  test('the 20-asterisk mask means keep the stored value', () => {
    assert.deepEqual(parseSecretInput({ SecretValue: secretMask }, 'Password'), { kind: 'unchanged' });
  });

  test('refuses both SecretValue and Provider, naming the field', () => {
    rejects(
      () => parseSecretInput({ SecretValue: 'pw', Provider: 1 }, 'NewPassword'),
      /^'NewPassword' has both SecretValue and Provider/,
    );
  });

  test('refuses parameters without a provider, a bad provider id and non-string values', () => {
    rejects(
      () => parseSecretInput({ Parameters: { A: 'b' } }, 'X'),
      /'X.Parameters' was sent without 'X.Provider'/,
    );
    rejects(() => parseSecretInput({ Provider: 0 }, 'X'), /'X.Provider' must be a PAM provider id/);
    rejects(() => parseSecretInput({ Provider: '3' }, 'X'), /'X.Provider' must be a PAM provider id/);
    rejects(() => parseSecretInput({ SecretValue: 5 }, 'X'), /'X.SecretValue' must be a string/);
    rejects(
      () => parseSecretInput({ Provider: 1, Parameters: { A: 5 } }, 'X'),
      /'X.Parameters.A' must be a string/,
    );
    rejects(() => parseSecretInput('pw', 'X'), /'X' must be an object/);
  });

  test('bounds the value and the parameters without quoting what was sent', () => {
    const long = 'v'.repeat(storeSecretLimits.valueMaxLength + 1);
    assert.throws(
      () => parseSecretInput({ SecretValue: long }, 'X'),
      (error: unknown) => error instanceof AppError && !error.message.includes(long.slice(0, 50)),
    );
    rejects(
      () => parseSecretInput({ SecretValue: long }, 'X'),
      /'X.SecretValue' must be at most 16384 characters/,
    );
    const many = Object.fromEntries(
      Array.from({ length: storeSecretLimits.parameterCount + 1 }, (_, index) => [`p${index}`, 'v']),
    );
    rejects(() => parseSecretInput({ Provider: 1, Parameters: many }, 'X'), /at most 32 parameters/);
    rejects(
      () => parseSecretInput({ Provider: 1, Parameters: { a: 'x', A: 'y' } }, 'X'),
      /names parameter 'A' more than once/,
    );
  });
});

describe('parsePasswordInput', () => {
  test('null, absent and an echoed read object leave the password unchanged', () => {
    assert.deepEqual(parsePasswordInput(null, 'Password'), { kind: 'unchanged' });
    assert.deepEqual(parsePasswordInput(undefined, 'Password'), { kind: 'unchanged' });
    const echoed = { Value: null, SecretTypeGuid: 'fe957956-4c32-4144-b896-6f85532a0da1', HasValue: true };
    assert.deepEqual(parsePasswordInput(echoed, 'Password'), { kind: 'unchanged' });
  });

  test('a new value sent alongside read-only fields is still a change', () => {
    assert.deepEqual(parsePasswordInput({ SecretValue: 'new', HasValue: true }, 'Password'), {
      kind: 'stored',
      value: 'new',
    });
  });

  test('an empty object or a null SecretValue clears it', () => {
    assert.deepEqual(parsePasswordInput({}, 'Password'), { kind: 'none' });
    assert.deepEqual(parsePasswordInput({ SecretValue: null }, 'Password'), { kind: 'none' });
  });
});

describe('parsePropertySecretInput', () => {
  test('accepts the value wrapper in either case, as kfutil and the Go client send it', () => {
    assert.deepEqual(parsePropertySecretInput({ value: { SecretValue: 'a' } }, 'P'), {
      kind: 'stored',
      value: 'a',
    });
    assert.deepEqual(parsePropertySecretInput({ Value: { SecretValue: 'a' } }, 'P'), {
      kind: 'stored',
      value: 'a',
    });
    assert.deepEqual(parsePropertySecretInput({ value: 'a' }, 'P'), { kind: 'stored', value: 'a' });
    assert.deepEqual(parsePropertySecretInput('a', 'P'), { kind: 'stored', value: 'a' });
    assert.deepEqual(parsePropertySecretInput({ SecretValue: 'a' }, 'P'), { kind: 'stored', value: 'a' });
    assert.deepEqual(
      parsePropertySecretInput({ value: { Provider: 2, Parameters: { SecretName: 'x' } } }, 'P'),
      {
        kind: 'reference',
        providerId: 2,
        parameters: new Map([['SecretName', 'x']]),
      },
    );
  });

  test('the mask, wrapped or bare, and an echoed KeyfactorSecret keep the stored value', () => {
    assert.deepEqual(parsePropertySecretInput({ Value: { SecretValue: secretMask } }, 'P'), {
      kind: 'unchanged',
    });
    assert.deepEqual(parsePropertySecretInput(secretMask, 'P'), { kind: 'unchanged' });
    const echoed = {
      Value: secretMask,
      SecretTypeGuid: '84372609-f5af-4a3f-8bc0-a4d4b9013b7b',
      IsManaged: false,
    };
    assert.deepEqual(parsePropertySecretInput(echoed, 'P'), { kind: 'unchanged' });
  });

  test('null, wrapped or not, means no value', () => {
    assert.deepEqual(parsePropertySecretInput(null, 'P'), { kind: 'none' });
    assert.deepEqual(parsePropertySecretInput({ value: null }, 'P'), { kind: 'none' });
    assert.deepEqual(parsePropertySecretInput({ Value: { SecretValue: null } }, 'P'), { kind: 'none' });
  });

  test('refuses numbers, arrays and objects of another shape, naming the property', () => {
    rejects(
      () => parsePropertySecretInput(5, 'Properties.ServerPassword'),
      /'Properties.ServerPassword' must be an object/,
    );
    rejects(() => parsePropertySecretInput([], 'P'), /'P' must be an object/);
    rejects(() => parsePropertySecretInput({ other: 1 }, 'P'), /'P' must be an object/);
    rejects(() => parsePropertySecretInput({ value: 7 }, 'P'), /'P.value' must be an object/);
  });
});
