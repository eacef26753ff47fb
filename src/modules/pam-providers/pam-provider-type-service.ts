import { randomUUID } from 'node:crypto';
import { conflictError, notFoundError, validationError } from '../../errors/app-error.js';
import type { Storage } from '../../storage/storage.js';
import { isForeignKeyViolation, isUniqueViolation } from '../../storage/storage.js';
import type { AuditWriter } from '../audit/audit-writer.js';
import type { Actor } from '../security/actor.js';
import { requireProviderAccess } from './pam-provider-access.js';
import { findProvider } from './pam-provider-repository.js';
import type { ProviderTypeRecord } from './pam-provider-type-repository.js';
import {
  countProvidersOfType,
  deleteProviderType,
  findProviderType,
  insertProviderType,
  listProviderTypes,
} from './pam-provider-type-repository.js';

export interface ProviderTypeInput {
  name: string;
  parameters: readonly {
    name: string;
    displayName: string | null;
    dataType: 1 | 2;
    instanceLevel: boolean;
  }[];
}

export interface ProviderTypeService {
  list(): Promise<ProviderTypeRecord[]>;
  get(typeId: string): Promise<ProviderTypeRecord>;
  /** The type of one provider the caller may read (Keyfactor's v2 `GET /PamProviders/Types/{id}`). */
  forProvider(actor: Actor, providerId: number): Promise<ProviderTypeRecord>;
  create(actor: Actor, input: ProviderTypeInput): Promise<ProviderTypeRecord>;
  remove(actor: Actor, typeId: string): Promise<void>;
}

export function createProviderTypeService(dependencies: {
  storage: Storage;
  audit: AuditWriter;
  now: () => Date;
}): ProviderTypeService {
  const { storage, audit, now } = dependencies;

  async function requireType(typeId: string): Promise<ProviderTypeRecord> {
    const type = await findProviderType(storage.db, typeId.toLowerCase());
    if (type === undefined) throw notFoundError(`PAM provider type '${typeId}' was not found`);
    return type;
  }

  return {
    list: () => listProviderTypes(storage.db),
    get: requireType,

    async forProvider(actor, providerId) {
      const provider = requireProviderAccess(
        actor,
        providerId,
        await findProvider(storage.db, providerId),
        'read',
      );
      return requireType(provider.typeId);
    },

    async create(actor, input) {
      if (input.name.trim() === '') throw validationError("'Name' must not be blank");
      const seen = new Set<string>();
      for (const [index, parameter] of input.parameters.entries()) {
        if (parameter.name.trim() === '') {
          throw validationError(`'Parameters.${index}.Name' must not be blank`);
        }
        // Parameter names are matched without regard to case, so two spellings would be one parameter.
        const key = parameter.name.toLowerCase();
        if (seen.has(key)) throw validationError(`'Parameters' names '${parameter.name}' more than once`);
        seen.add(key);
      }
      const id = randomUUID();
      try {
        await storage.transaction(async (tx) => {
          await insertProviderType(tx, {
            id,
            name: input.name,
            isBuiltin: false,
            createdAt: now().toISOString(),
            parameters: input.parameters,
          });
          await audit.record(tx, {
            actor: actor.username,
            category: 'PamProviderType',
            operation: 'Created',
            entityType: 'PamProviderType',
            auditIdentifier: input.name,
            immutableIdentifier: id,
            details: {
              parameters: input.parameters.map((parameter) => ({
                name: parameter.name,
                dataType: parameter.dataType,
                instanceLevel: parameter.instanceLevel,
              })),
            },
          });
        });
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw conflictError(`A PAM provider type named '${input.name}' already exists`);
        }
        throw error;
      }
      return requireType(id);
    },

    async remove(actor, typeId) {
      const type = await requireType(typeId);
      if (type.isBuiltin) {
        throw conflictError(`PAM provider type '${type.name}' is built in and cannot be deleted`);
      }
      const inUse = () =>
        conflictError(
          `PAM provider type '${type.name}' is used by a PAM provider; delete those providers first`,
        );
      try {
        await storage.transaction(async (tx) => {
          if ((await countProvidersOfType(tx, type.id)) > 0) throw inUse();
          await deleteProviderType(tx, type.id);
          await audit.record(tx, {
            actor: actor.username,
            category: 'PamProviderType',
            operation: 'Deleted',
            entityType: 'PamProviderType',
            auditIdentifier: type.name,
            immutableIdentifier: type.id,
          });
        });
      } catch (error) {
        // A provider created between the count and the delete still stops it, through the foreign key.
        if (isForeignKeyViolation(error)) throw inUse();
        throw error;
      }
    },
  };
}
