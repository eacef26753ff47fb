import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ParameterValueInput } from './pam-provider-parameter-values.js';
import { planParameterValues, secretValueMask } from './pam-provider-parameter-values.js';
import type { ProviderTypeParamRecord } from './pam-provider-type-repository.js';

const params: ProviderTypeParamRecord[] = [
  { id: 10, name: 'Host', displayName: 'Vault Host', dataType: 1, instanceLevel: false },
  { id: 11, name: 'Token', displayName: 'Vault Token', dataType: 2, instanceLevel: false },
  { id: 12, name: 'Secret', displayName: 'KV Secret Name', dataType: 1, instanceLevel: true },
];

const input = (
  paramName: string | undefined,
  value: string | null | undefined,
  paramId?: number,
): ParameterValueInput => ({ paramName, value, paramId });

test('matches parameters by name without regard to case, or by id when no name is given', () => {
  const plans = planParameterValues(
    params,
    [input('host', 'https://vault'), input(undefined, 'tok', 11)],
    new Set(),
  );
  assert.deepEqual(
    plans.map((plan) => [plan.param.name, plan.action]),
    [
      ['Host', 'set'],
      ['Token', 'set'],
    ],
  );
});

test("a name wins over an id, so kfutil's Id -1 and ids from another installation still match", () => {
  const plans = planParameterValues(params, [input('Token', 'tok', -1), input('Host', 'h', 11)], new Set());
  assert.deepEqual(
    plans.map((plan) => plan.param.name),
    ['Token', 'Host'],
  );
});

test('values of instance-level parameters, and null or empty values, store nothing', () => {
  const plans = planParameterValues(
    params,
    [input('Secret', 'x'), input('Host', null), input('Token', '')],
    new Set(),
  );
  assert.deepEqual(plans, []);
});

test('the mask keeps a stored secret and is refused where there is nothing to keep', () => {
  const kept = planParameterValues(params, [input('Token', secretValueMask)], new Set([11]));
  assert.deepEqual(
    kept.map((plan) => plan.action),
    ['keep'],
  );
  assert.throws(
    () => planParameterValues(params, [input('Token', secretValueMask)], new Set()),
    /secret parameter 'Token' has no stored value to keep/,
  );
});

test('the mask is an ordinary value for a string parameter', () => {
  const plans = planParameterValues(params, [input('Host', secretValueMask)], new Set([10]));
  assert.deepEqual(plans, [{ param: params[0], action: 'set', value: secretValueMask }]);
});

test('an unknown parameter, a duplicate or an item naming none is a validation error naming it', () => {
  assert.throws(() => planParameterValues(params, [input('Nope', 'x')], new Set()), /'Nope'/);
  assert.throws(() => planParameterValues(params, [input(undefined, 'x', 99)], new Set()), /Id 99/);
  assert.throws(
    () => planParameterValues(params, [input('Host', 'a'), input('HOST', 'b')], new Set()),
    /'Host' more than once/,
  );
  assert.throws(
    () => planParameterValues(params, [input(undefined, 'x')], new Set()),
    /ProviderTypeParamValues\.0\.ProviderTypeParam' must identify a parameter/,
  );
});
