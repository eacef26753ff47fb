import { validationError } from '../../errors/app-error.js';
import type { ProviderTypeParamRecord } from './pam-provider-type-repository.js';

/**
 * What responses show in place of a stored secret parameter value, and what a client sends back to keep it.
 * Keyfactor's GET-modify-PUT pattern returns every field it read, so the mask must survive a round trip.
 */
export const secretValueMask = '********************';

/** One item of `ProviderTypeParamValues` as a client sent it, reduced to what identifies and fills it. */
export interface ParameterValueInput {
  value: string | null | undefined;
  paramId: number | undefined;
  paramName: string | null | undefined;
}

export type ParameterValuePlan =
  | { param: ProviderTypeParamRecord; action: 'set'; value: string }
  | { param: ProviderTypeParamRecord; action: 'keep' };

/**
 * Matches a request's values to the type's provider-level parameters. A parameter is found by
 * `ProviderTypeParam.Name` when one is given, otherwise by `ProviderTypeParam.Id`: names are stable across
 * installations while ids are not (kfutil sends `Id: -1` with a name when it copies a provider between
 * Command instances). Values of instance-level parameters belong to the stores that use the provider, as in
 * Keyfactor's own GET responses, and are ignored. A parameter left out, or sent with a null or empty value,
 * ends up with no value.
 *
 * `storedSecretParamIds` names the secret parameters that already hold a value; only those may be kept by
 * sending the mask back.
 */
export function planParameterValues(
  params: readonly ProviderTypeParamRecord[],
  inputs: readonly ParameterValueInput[],
  storedSecretParamIds: ReadonlySet<number>,
): ParameterValuePlan[] {
  const plans: ParameterValuePlan[] = [];
  const seen = new Set<number>();
  inputs.forEach((input, index) => {
    const param = resolveParameter(params, input, index);
    if (param.instanceLevel) return;
    if (seen.has(param.id)) {
      throw validationError(`'ProviderTypeParamValues' names the parameter '${param.name}' more than once`);
    }
    seen.add(param.id);
    if (input.value === undefined || input.value === null || input.value === '') return;
    if (param.dataType === 2 && input.value === secretValueMask) {
      if (!storedSecretParamIds.has(param.id)) {
        throw validationError(
          `The secret parameter '${param.name}' has no stored value to keep; send the value itself instead of the mask`,
        );
      }
      plans.push({ param, action: 'keep' });
      return;
    }
    plans.push({ param, action: 'set', value: input.value });
  });
  return plans;
}

function resolveParameter(
  params: readonly ProviderTypeParamRecord[],
  input: ParameterValueInput,
  index: number,
): ProviderTypeParamRecord {
  const where = `'ProviderTypeParamValues.${index}.ProviderTypeParam'`;
  if (input.paramName !== undefined && input.paramName !== null && input.paramName !== '') {
    const wanted = input.paramName.toLowerCase();
    const byName = params.find((param) => param.name.toLowerCase() === wanted);
    if (byName === undefined) {
      throw validationError(
        `${where} names '${input.paramName}', which is not a parameter of this provider type`,
      );
    }
    return byName;
  }
  if (input.paramId !== undefined) {
    const byId = params.find((param) => param.id === input.paramId);
    if (byId === undefined) {
      throw validationError(
        `${where} has Id ${input.paramId}, which is not a parameter of this provider type`,
      );
    }
    return byId;
  }
  throw validationError(`${where} must identify a parameter by Id or Name`);
}
