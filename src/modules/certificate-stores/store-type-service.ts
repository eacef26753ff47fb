import { randomUUID } from 'node:crypto';
import { conflictError, isAppError, notFoundError, validationError } from '../../errors/app-error.js';
import type { ListRequest } from '../../storage/list-query.js';
import type { Storage } from '../../storage/storage.js';
import { isUniqueViolation } from '../../storage/storage.js';
import type { AuditWriter } from '../audit/audit-writer.js';
import type { Actor } from '../security/actor.js';
import type { StoreTypeDefinition, StoreTypeInput, StoreTypeRecord } from './store-type-model.js';
import {
  describeStoreType,
  storePropertyRules,
  storePropertyTypes,
  supportsStorePassword,
} from './store-type-model.js';
import {
  countContainersOfType,
  countStoresOfType,
  deleteStoreType,
  findStoreType,
  findStoreTypeIdByName,
  findStoreTypesByShortName,
  insertStoreType,
  listStoreTypes,
  nextCustomStoreTypeId,
  updateStoreType,
} from './store-type-repository.js';

export interface StoreTypeService {
  list(request: ListRequest): Promise<StoreTypeRecord[]>;
  get(storeType: number): Promise<StoreTypeRecord>;
  getByShortName(shortName: string): Promise<StoreTypeRecord[]>;
  create(actor: Actor, input: StoreTypeInput): Promise<StoreTypeRecord>;
  update(actor: Actor, storeType: number, input: StoreTypeInput): Promise<StoreTypeRecord>;
  remove(actor: Actor, storeType: number): Promise<void>;
  removeMany(actor: Actor, storeTypes: readonly number[]): Promise<void>;
}

// Two nodes creating types at the same moment can pick the same next id; one retries with the following one.
const createAttempts = 5;

function assertUniqueNames(names: readonly string[], what: string): void {
  const seen = new Set<string>();
  for (const name of names) {
    const key = name.toLowerCase();
    if (seen.has(key)) throw validationError(`${what} '${name}' is defined more than once`);
    seen.add(key);
  }
}

/** Keeps the id a property or parameter already had (matched by name) and numbers new ones after the highest. */
function assignIds<T extends { name: string }>(
  items: readonly T[],
  previous: readonly { id: number; name: string }[],
): (T & { id: number })[] {
  let next = Math.max(0, ...previous.map((item) => item.id)) + 1;
  return items.map((item) => {
    const earlier = previous.find((candidate) => candidate.name.toLowerCase() === item.name.toLowerCase());
    return { ...item, id: earlier?.id ?? next++ };
  });
}

function buildDefinition(
  input: StoreTypeInput,
  previous: StoreTypeDefinition | undefined,
): StoreTypeDefinition {
  assertUniqueNames(
    input.definition.properties.map((property) => property.name),
    'Property',
  );
  assertUniqueNames(
    input.definition.entryParameters.map((parameter) => parameter.name),
    'Entry parameter',
  );
  const operations = input.definition.supportedOperations;
  const jobType = (given: string | null | undefined, earlier: string | null | undefined, needed: boolean) =>
    given ?? earlier ?? (needed ? randomUUID() : null);
  return {
    ...input.definition,
    properties: assignIds(input.definition.properties, previous?.properties ?? []),
    entryParameters: assignIds(input.definition.entryParameters, previous?.entryParameters ?? []),
    inventoryJobType: input.jobTypes.inventory ?? previous?.inventoryJobType ?? randomUUID(),
    managementJobType: jobType(
      input.jobTypes.management,
      previous?.managementJobType,
      operations.add || operations.remove,
    ),
    discoveryJobType: jobType(input.jobTypes.discovery, previous?.discoveryJobType, operations.discovery),
    enrollmentJobType: jobType(input.jobTypes.enrollment, previous?.enrollmentJobType, operations.enrollment),
  };
}

/**
 * Stores of a type hold sealed values for its secret properties and maybe a password. While any store uses
 * the type, an edit may not turn those into something else: a sealed value would be left behind with no
 * property to show it, or a plain property would start receiving what used to be a secret.
 */
function assertCompatibleWithStores(
  type: StoreTypeRecord,
  next: StoreTypeDefinition,
  storeCount: number,
): void {
  if (storeCount === 0) return;
  const nextRules = storePropertyRules(next);
  for (const rule of storePropertyRules(type.definition)) {
    if (rule.type !== storePropertyTypes.Secret) continue;
    const kept = nextRules.find((candidate) => candidate.name.toLowerCase() === rule.name.toLowerCase());
    if (kept?.type !== storePropertyTypes.Secret) {
      throw conflictError(
        `Property '${rule.name}' of ${describeStoreType(type)} is secret and ${storeCount} store(s) use the type; it cannot be removed or made non-secret while they do`,
      );
    }
  }
  if (supportsStorePassword(type.definition) && !supportsStorePassword(next)) {
    throw conflictError(
      `${storeCount} store(s) of ${describeStoreType(type)} may hold passwords; password support cannot be turned off while they exist`,
    );
  }
}

function auditDetails(type: StoreTypeRecord): Record<string, unknown> {
  return {
    name: type.name,
    shortName: type.shortName,
    properties: type.definition.properties.map((property) => ({ name: property.name, type: property.type })),
    passwordOptions: type.definition.passwordOptions,
  };
}

export function createStoreTypeService(dependencies: {
  storage: Storage;
  audit: AuditWriter;
}): StoreTypeService {
  const { storage, audit } = dependencies;

  async function requireType(storeType: number): Promise<StoreTypeRecord> {
    const type = await findStoreType(storage.db, storeType);
    if (type === undefined) throw notFoundError(`Certificate store type '${storeType}' was not found`);
    return type;
  }

  async function assertNameFree(name: string, exceptStoreType?: number): Promise<void> {
    const holder = await findStoreTypeIdByName(storage.db, name);
    if (holder !== undefined && holder !== exceptStoreType) {
      throw conflictError(`A certificate store type named '${name}' already exists (${holder})`);
    }
  }

  async function removeOne(actor: Actor, storeType: number): Promise<void> {
    const type = await requireType(storeType);
    if (type.isBuiltin) {
      throw conflictError(`${describeStoreType(type)} is built in and cannot be deleted`);
    }
    const stores = await countStoresOfType(storage.db, storeType);
    if (stores > 0)
      throw conflictError(`${describeStoreType(type)} is used by ${stores} certificate store(s)`);
    const containers = await countContainersOfType(storage.db, storeType);
    if (containers > 0) {
      throw conflictError(
        `${describeStoreType(type)} is used by ${containers} certificate store container(s)`,
      );
    }
    await storage.transaction(async (tx) => {
      const deleted = await deleteStoreType(tx, storeType);
      if (!deleted) throw notFoundError(`Certificate store type '${storeType}' was not found`);
      await audit.record(tx, {
        actor: actor.username,
        category: 'CertificateStoreType',
        operation: 'Deleted',
        entityType: 'CertificateStoreType',
        auditIdentifier: type.shortName,
        immutableIdentifier: String(storeType),
        details: { name: type.name },
      });
    });
  }

  return {
    list: (request) => listStoreTypes(storage.db, request),
    get: requireType,

    async getByShortName(shortName) {
      const types = await findStoreTypesByShortName(storage.db, shortName);
      if (types.length === 0) {
        throw notFoundError(`No certificate store type has the short name '${shortName}'`);
      }
      return types;
    },

    async create(actor, input) {
      const definition = buildDefinition(input, undefined);
      for (let attempt = 1; ; attempt++) {
        await assertNameFree(input.name);
        try {
          return await storage.transaction(async (tx) => {
            const type: StoreTypeRecord = {
              storeType: await nextCustomStoreTypeId(tx),
              name: input.name,
              shortName: input.shortName,
              isBuiltin: false,
              definition,
            };
            await insertStoreType(tx, type);
            await audit.record(tx, {
              actor: actor.username,
              category: 'CertificateStoreType',
              operation: 'Created',
              entityType: 'CertificateStoreType',
              auditIdentifier: type.shortName,
              immutableIdentifier: String(type.storeType),
              details: auditDetails(type),
            });
            return type;
          });
        } catch (error) {
          if (!isUniqueViolation(error) || attempt >= createAttempts) {
            if (isUniqueViolation(error)) {
              throw conflictError(`A certificate store type named '${input.name}' already exists`);
            }
            throw error;
          }
        }
      }
    },

    async update(actor, storeType, input) {
      const existing = await requireType(storeType);
      await assertNameFree(input.name, storeType);
      const definition = buildDefinition(input, existing.definition);
      const type: StoreTypeRecord = { ...existing, name: input.name, shortName: input.shortName, definition };
      try {
        await storage.transaction(async (tx) => {
          assertCompatibleWithStores(existing, definition, await countStoresOfType(tx, storeType));
          await updateStoreType(tx, type);
          await audit.record(tx, {
            actor: actor.username,
            category: 'CertificateStoreType',
            operation: 'Updated',
            entityType: 'CertificateStoreType',
            auditIdentifier: type.shortName,
            immutableIdentifier: String(storeType),
            details: auditDetails(type),
          });
        });
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw conflictError(`A certificate store type named '${input.name}' already exists`);
        }
        throw error;
      }
      return requireType(storeType);
    },

    remove: removeOne,

    async removeMany(actor, storeTypes) {
      // Keyfactor documents this call as ignoring individual failures and carrying on with the rest.
      for (const storeType of new Set(storeTypes)) {
        try {
          await removeOne(actor, storeType);
        } catch (error) {
          if (!isAppError(error)) throw error;
        }
      }
    },
  };
}
