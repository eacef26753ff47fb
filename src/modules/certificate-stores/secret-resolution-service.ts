import { AppError, conflictError, isAppError, notFoundError } from '../../errors/app-error.js';
import type { SecretCipher } from '../../crypto/secret-cipher.js';
import type { Storage } from '../../storage/storage.js';
import type { AuditWriter } from '../audit/audit-writer.js';
import type { PamReferenceResolver } from '../pam-providers/pam-reference.js';
import { sealedLocations } from '../pam-providers/pam-reference.js';
import type { Actor } from '../security/actor.js';
import type { StoreRecord } from './certificate-store-repository.js';
import { findStore } from './certificate-store-repository.js';
import type { StoreSecretRecord } from './store-secret-repository.js';
import {
  listStoreSecrets,
  localEntryNameOf,
  passwordSecretKey,
  propertyNameOf,
} from './store-secret-repository.js';
import { storePropertyRules, storePropertyTypes } from './store-type-model.js';
import { findStoreType } from './store-type-repository.js';

export interface ResolvedSecret {
  /** The name the secret has on the store: `Password` or the property's name. */
  name: string;
  value: string | null;
}

/**
 * Hands out the actual value of a store's password or secret property: how an orchestrator gets the
 * credential it needs. Only `/strongroom/resolve/` reaches it (the route says so), and every attempt is
 * audited, successful or not, before any value leaves. A value is fetched before the audit transaction
 * opens, because a PAM lookup may be slow.
 */
export interface SecretResolutionService {
  resolvePassword(actor: Actor, storeId: string): Promise<ResolvedSecret>;
  resolveProperty(actor: Actor, storeId: string, propertyName: string): Promise<ResolvedSecret>;
}

export function createSecretResolutionService(dependencies: {
  storage: Storage;
  cipher: SecretCipher;
  audit: AuditWriter;
  pamReferences: PamReferenceResolver;
}): SecretResolutionService {
  const { storage, cipher, audit, pamReferences } = dependencies;

  async function valueOf(store: StoreRecord, name: string, secret: StoreSecretRecord | undefined) {
    if (secret === undefined) return { value: null, form: 'none' };
    if (secret.valueSealed !== null) {
      const location = sealedLocations.storeSecret(store.id, secret.secretKey);
      return { value: cipher.open(secret.valueSealed, location), form: 'stored' };
    }
    if (secret.providerId === null) return { value: null, form: 'none' };
    const provider = await pamReferences.describeProvider(storage.db, secret.providerId);
    const subject = `'${name}' of certificate store '${store.id}'`;
    if (provider === undefined) {
      throw conflictError(
        `${subject} references PAM provider '${secret.providerId}', which no longer exists`,
      );
    }
    if (!provider.isLocal) {
      throw conflictError(
        `${subject} comes from PAM provider '${provider.name}' (${provider.id}), which is not a local provider; this server cannot resolve third-party or remote PAM references yet`,
      );
    }
    const entryName = localEntryNameOf(secret.parameters);
    const value = await pamReferences.resolveLocalSecret(provider.id, entryName);
    if (value === undefined) {
      throw conflictError(
        `${subject} references local PAM entry '${entryName}' in PAM provider '${provider.name}' (${provider.id}), which no longer exists`,
      );
    }
    return { value, form: 'reference' };
  }

  async function findSecret(store: StoreRecord, propertyName: string | undefined) {
    const secrets = await listStoreSecrets(storage.db, [store.id]);
    if (propertyName === undefined) {
      return {
        name: passwordSecretKey,
        secret: secrets.find((secret) => secret.secretKey === passwordSecretKey),
      };
    }
    const secret = secrets.find(
      (candidate) => propertyNameOf(candidate.secretKey)?.toLowerCase() === propertyName.toLowerCase(),
    );
    if (secret !== undefined) return { name: propertyNameOf(secret.secretKey) ?? propertyName, secret };
    // A secret property the type defines but the store leaves empty resolves to null, like an unset password.
    const type = await findStoreType(storage.db, store.certStoreType);
    const rule = (type === undefined ? [] : storePropertyRules(type.definition)).find(
      (candidate) => candidate.name.toLowerCase() === propertyName.toLowerCase(),
    );
    if (rule?.type !== storePropertyTypes.Secret) {
      throw notFoundError(`Certificate store '${store.id}' has no secret property '${propertyName}'`);
    }
    return { name: rule.name, secret: undefined };
  }

  async function resolve(
    actor: Actor,
    storeId: string,
    propertyName: string | undefined,
  ): Promise<ResolvedSecret> {
    const id = storeId.toLowerCase();
    const requested = propertyName ?? passwordSecretKey;
    let resolved: { name: string; value: string | null; form: string };
    try {
      const store = await findStore(storage.db, id);
      if (store === undefined) throw notFoundError(`Certificate store '${id}' was not found`);
      const { name, secret } = await findSecret(store, propertyName);
      resolved = { name, ...(await valueOf(store, name, secret)) };
    } catch (error) {
      await recordAttempt(actor, id, requested, {
        outcome: 'Failure',
        reason: isAppError(error) && error.code !== 'internal' ? error.message : 'internal error',
      });
      throw error;
    }
    await recordAttempt(actor, id, resolved.name, { outcome: 'Success', form: resolved.form });
    return { name: resolved.name, value: resolved.value };
  }

  async function recordAttempt(
    actor: Actor,
    storeId: string,
    secretName: string,
    result: { outcome: 'Success'; form: string } | { outcome: 'Failure'; reason: string },
  ): Promise<void> {
    try {
      await storage.transaction((tx) =>
        audit.record(tx, {
          actor: actor.username,
          category: 'SecretResolution',
          operation: result.outcome === 'Success' ? 'Downloaded' : 'Failed',
          entityType: 'CertificateStoreSecret',
          auditIdentifier: secretName,
          immutableIdentifier: storeId,
          outcome: result.outcome,
          details: result.outcome === 'Success' ? { form: result.form } : { reason: result.reason },
        }),
      );
    } catch (error) {
      // Without its audit entry a value must not leave; the caller gets a plain failure instead.
      throw new AppError('unavailable', 'The resolution could not be audited, so no value was returned', {
        cause: error,
      });
    }
  }

  return {
    resolvePassword: (actor, storeId) => resolve(actor, storeId, undefined),
    resolveProperty: (actor, storeId, propertyName) => resolve(actor, storeId, propertyName),
  };
}
