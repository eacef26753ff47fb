import { randomUUID } from 'node:crypto';
import { validationError } from '../../errors/app-error.js';
import type { SecretCipher } from '../../crypto/secret-cipher.js';
import type { DatabaseExecutor, Storage } from '../../storage/storage.js';
import type { PamProviderReferenceInfo, PamReferenceResolver } from '../pam-providers/pam-reference.js';
import { sealedLocations } from '../pam-providers/pam-reference.js';
import type { Actor } from '../security/actor.js';
import type { SecretInput } from './store-secret-input.js';
import type { StoreSecretRecord, StoredParameter } from './store-secret-repository.js';
import {
  deleteStoreSecret,
  localEntryNameOf,
  passwordSecretKey,
  putStoreSecret,
} from './store-secret-repository.js';

/** What one secret of a store becomes; prepared (checked, sealed) before the transaction that applies it. */
export type SecretWrite =
  | { action: 'put'; record: StoreSecretRecord; form: 'stored' | 'reference' | 'none' }
  | { action: 'delete'; secretKey: string };

export interface SecretWriteRequest {
  storeId: string;
  secretKey: string;
  /** Where the secret sat in the request, for messages: `NewPassword`, `Properties.ServerPassword`. */
  field: string;
  input: SecretInput;
  existing: StoreSecretRecord | undefined;
}

export interface StoreSecretService {
  /** Undefined when nothing changes. */
  prepare(actor: Actor, request: SecretWriteRequest): Promise<SecretWrite | undefined>;
  apply(tx: DatabaseExecutor, storeId: string, write: SecretWrite): Promise<void>;
}

const secretParameterDataType = 2;

/** A parameter location distinct from every secret's own, so a sealed parameter only opens where it was sealed. */
export const parameterSecretKey = (secretKey: string, parameterName: string): string =>
  `${secretKey}/parameters/${parameterName}`;

export function createStoreSecretService(dependencies: {
  storage: Storage;
  cipher: SecretCipher;
  pamReferences: PamReferenceResolver;
}): StoreSecretService {
  const { storage, cipher, pamReferences } = dependencies;

  async function describeReadableProvider(
    actor: Actor,
    field: string,
    providerId: number,
  ): Promise<PamProviderReferenceInfo> {
    // Referencing a provider reveals that it exists, so it needs the same read right as looking at it.
    const provider = actor.permissions.has('/pam/read/', providerId)
      ? await pamReferences.describeProvider(storage.db, providerId)
      : undefined;
    if (provider === undefined) {
      throw validationError(`'${field}.Provider' names PAM provider '${providerId}', which was not found`);
    }
    return provider;
  }

  async function referenceParameters(
    request: SecretWriteRequest,
    provider: PamProviderReferenceInfo,
    given: ReadonlyMap<string, string | null>,
  ): Promise<StoredParameter[]> {
    const { field } = request;
    const providerLabel = `PAM provider '${provider.name}' (${provider.id})`;
    const expected = provider.instanceParameters.map((parameter) => parameter.name).join(', ') || 'none';
    for (const name of given.keys()) {
      const known = provider.instanceParameters.some(
        (parameter) => parameter.name.toLowerCase() === name.toLowerCase(),
      );
      if (!known) {
        throw validationError(
          `'${field}.Parameters' has '${name}', which is not an instance-level parameter of ${providerLabel}; expected: ${expected}`,
        );
      }
    }
    const parameters: StoredParameter[] = [];
    for (const definition of provider.instanceParameters) {
      const value = [...given].find(([name]) => name.toLowerCase() === definition.name.toLowerCase())?.[1];
      if (value === undefined || value === null || value === '') {
        throw validationError(`'${field}.Parameters.${definition.name}' is required by ${providerLabel}`);
      }
      if (definition.dataType === secretParameterDataType) {
        const location = sealedLocations.storeSecret(
          request.storeId,
          parameterSecretKey(request.secretKey, definition.name),
        );
        parameters.push({
          parameterId: definition.id,
          name: definition.name,
          displayName: definition.displayName,
          dataType: definition.dataType,
          value: null,
          sealedValue: cipher.seal(value, location).toString('base64'),
        });
        continue;
      }
      parameters.push({
        parameterId: definition.id,
        name: definition.name,
        displayName: definition.displayName,
        dataType: definition.dataType,
        value,
      });
    }
    if (provider.isLocal) {
      const entryName = localEntryNameOf(parameters);
      if (!(await pamReferences.localEntryExists(storage.db, provider.id, entryName))) {
        throw validationError(
          `'${field}.Parameters.SecretName' names local PAM entry '${entryName}', which does not exist in ${providerLabel}`,
        );
      }
    }
    return parameters;
  }

  return {
    async prepare(actor, request) {
      const { input, existing, storeId, secretKey } = request;
      const instanceGuid =
        secretKey === passwordSecretKey ? storeId : (existing?.instanceGuid ?? randomUUID());
      const base = { storeId, secretKey, instanceGuid, valueSealed: null, providerId: null, parameters: [] };
      switch (input.kind) {
        case 'unchanged':
          return undefined;
        case 'none':
          // A store without a password has no row; a secret property without a value keeps its place.
          if (secretKey === passwordSecretKey) {
            return existing === undefined ? undefined : { action: 'delete', secretKey };
          }
          return { action: 'put', record: base, form: 'none' };
        case 'stored':
          return {
            action: 'put',
            record: {
              ...base,
              valueSealed: cipher.seal(input.value, sealedLocations.storeSecret(storeId, secretKey)),
            },
            form: 'stored',
          };
        case 'reference': {
          const provider = await describeReadableProvider(actor, request.field, input.providerId);
          const parameters = await referenceParameters(request, provider, input.parameters);
          return {
            action: 'put',
            record: { ...base, providerId: provider.id, parameters },
            form: 'reference',
          };
        }
      }
    },

    async apply(tx, storeId, write) {
      if (write.action === 'delete') {
        await deleteStoreSecret(tx, storeId, write.secretKey);
        return;
      }
      await putStoreSecret(tx, write.record);
    },
  };
}

/** What the audit log may say about a secret change: its form and provider, never a value or parameter. */
export function describeSecretWrite(write: SecretWrite): Record<string, unknown> {
  if (write.action === 'delete') return { secret: write.secretKey, form: 'none' };
  return {
    secret: write.record.secretKey,
    form: write.form,
    ...(write.record.providerId === null ? {} : { providerId: write.record.providerId }),
  };
}
