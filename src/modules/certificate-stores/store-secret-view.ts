import type { KeyfactorSecretOutput } from './certificate-store-schemas.js';
import { secretMask } from './store-secret-input.js';
import type { StoreSecretRecord } from './store-secret-repository.js';

/** The SecretTypeGuid values a real Command instance returns for the two kinds of store secret. */
export const secretTypeGuids = {
  storePassword: 'fe957956-4c32-4144-b896-6f85532a0da1',
  storeProperty: '84372609-f5af-4a3f-8bc0-a4d4b9013b7b',
} as const;

const secretParameterDataType = 2;

/**
 * Keyfactor's KeyfactorSecret for one store secret: flags and, for a PAM reference, its parameters, but never
 * the value. Secret properties with a stored value show the 20-asterisk mask (as Command does, and as clients
 * send back to mean "unchanged"); the store password always shows null, as in every observed response.
 */
export function toKeyfactorSecret(
  record: StoreSecretRecord | undefined,
  options: { secretTypeGuid: string; instanceGuid: string; maskStoredValue: boolean },
): KeyfactorSecretOutput {
  const instanceGuid = record?.instanceGuid ?? options.instanceGuid;
  const isStored = record?.valueSealed !== null && record?.valueSealed !== undefined;
  const providerId = record?.providerId ?? null;
  return {
    Value: isStored && options.maskStoredValue ? secretMask : null,
    SecretTypeGuid: options.secretTypeGuid,
    InstanceId: null,
    InstanceGuid: instanceGuid,
    ProviderTypeParameterValues: (record?.parameters ?? []).map((parameter) => ({
      Id: 0,
      Value: parameter.dataType === secretParameterDataType ? secretMask : parameter.value,
      ParameterId: 0,
      InstanceId: null,
      InstanceGuid: instanceGuid,
      Provider: null,
      ProviderTypeParam: {
        Id: parameter.parameterId,
        Name: parameter.name,
        DisplayName: parameter.displayName,
        DataType: parameter.dataType,
        InstanceLevel: true,
        ProviderType: null,
      },
    })),
    ProviderId: providerId,
    IsManaged: providerId !== null,
    RemoteProviderName: null,
    HasValue: isStored || providerId !== null,
  };
}
