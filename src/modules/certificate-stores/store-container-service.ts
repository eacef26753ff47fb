import { conflictError, validationError } from '../../errors/app-error.js';
import type { ListRequest } from '../../storage/list-query.js';
import type { Storage } from '../../storage/storage.js';
import { isForeignKeyViolation, isUniqueViolation } from '../../storage/storage.js';
import type { AuditWriter } from '../audit/audit-writer.js';
import type { Actor } from '../security/actor.js';
import { removeScopedGrants } from '../security/scoped-grant-cleanup.js';
import type { StoreDetails } from './certificate-store-service.js';
import { loadStoreDetails } from './certificate-store-service.js';
import { listStoresInContainer, setContainerSchedules } from './certificate-store-repository.js';
import { requireModifiableContainer, requireReadableContainer } from './store-access.js';
import type { ContainerFields, ContainerRecord } from './store-container-repository.js';
import {
  countStoresOfOtherTypes,
  deleteContainer,
  findContainer,
  findContainerIdByName,
  insertContainer,
  listContainers,
  updateContainer,
} from './store-container-repository.js';
import { findStoreType } from './store-type-repository.js';

export interface ContainerDetails {
  container: ContainerRecord;
  stores: StoreDetails[];
}

export interface StoreContainerService {
  list(actor: Actor, request: ListRequest): Promise<ContainerRecord[]>;
  get(actor: Actor, id: number): Promise<ContainerDetails>;
  create(actor: Actor, input: ContainerFields): Promise<ContainerDetails>;
  update(actor: Actor, id: number, input: ContainerFields): Promise<ContainerDetails>;
  remove(actor: Actor, id: number): Promise<void>;
}

export function createStoreContainerService(dependencies: {
  storage: Storage;
  audit: AuditWriter;
  now: () => Date;
}): StoreContainerService {
  const { storage, audit, now } = dependencies;

  async function get(actor: Actor, id: number): Promise<ContainerDetails> {
    const container = requireReadableContainer(actor, id, await findContainer(storage.db, id));
    const stores = await listStoresInContainer(storage.db, id);
    return { container, stores: await loadStoreDetails(storage.db, stores) };
  }

  async function assertTypeExists(certStoreType: number | null): Promise<void> {
    if (certStoreType !== null && (await findStoreType(storage.db, certStoreType)) === undefined) {
      throw validationError(
        `'CertStoreType' names certificate store type '${certStoreType}', which does not exist`,
      );
    }
  }

  async function assertNameFree(name: string, exceptId?: number): Promise<void> {
    const holder = await findContainerIdByName(storage.db, name);
    if (holder !== undefined && holder !== exceptId) {
      throw conflictError(`A certificate store container named '${name}' already exists (${holder})`);
    }
  }

  function translateWriteError(error: unknown, name: string): unknown {
    if (isUniqueViolation(error))
      return conflictError(`A certificate store container named '${name}' already exists`);
    return error;
  }

  return {
    list: (actor, request) =>
      listContainers(storage.db, request, actor.permissions.scope('/certificate_stores/read/')),

    get,

    async create(actor, input) {
      await assertTypeExists(input.certStoreType);
      await assertNameFree(input.name);
      let id = 0;
      try {
        await storage.transaction(async (tx) => {
          id = await insertContainer(tx, input);
          await audit.record(tx, {
            actor: actor.username,
            category: 'CertificateStoreContainer',
            operation: 'Created',
            entityType: 'CertificateStoreContainer',
            auditIdentifier: input.name,
            immutableIdentifier: String(id),
            details: { certStoreType: input.certStoreType, hasSchedule: input.schedule !== null },
          });
        });
      } catch (error) {
        throw translateWriteError(error, input.name);
      }
      return get(actor, id);
    },

    async update(actor, id, requested) {
      const existing = requireModifiableContainer(actor, id, await findContainer(storage.db, id));
      // Command 25's update carries no type: the container keeps the one it has.
      const input = { ...requested, certStoreType: requested.certStoreType ?? existing.certStoreType };
      await assertTypeExists(input.certStoreType);
      await assertNameFree(input.name, id);
      try {
        await storage.transaction(async (tx) => {
          const mismatched =
            input.certStoreType === null ? 0 : await countStoresOfOtherTypes(tx, id, input.certStoreType);
          if (mismatched > 0) {
            throw conflictError(
              `Container '${existing.name}' (${id}) holds ${mismatched} store(s) of another type than ${input.certStoreType}; move them first`,
            );
          }
          await updateContainer(tx, id, input);
          // Keyfactor's OverwriteSchedules puts the container's schedule on every store in it.
          const overwritten = input.overwriteSchedules
            ? await setContainerSchedules(tx, id, input.schedule, now().toISOString())
            : 0;
          await audit.record(tx, {
            actor: actor.username,
            category: 'CertificateStoreContainer',
            operation: 'Updated',
            entityType: 'CertificateStoreContainer',
            auditIdentifier: input.name,
            immutableIdentifier: String(id),
            details: {
              name: { from: existing.name, to: input.name },
              certStoreType: input.certStoreType,
              hasSchedule: input.schedule !== null,
              storeSchedulesOverwritten: overwritten,
            },
          });
        });
      } catch (error) {
        throw translateWriteError(error, input.name);
      }
      return get(actor, id);
    },

    async remove(actor, id) {
      const existing = requireModifiableContainer(actor, id, await findContainer(storage.db, id));
      if (existing.storeCount > 0) {
        throw conflictError(
          `Container '${existing.name}' (${id}) still holds ${existing.storeCount} certificate store(s); move or delete them first`,
        );
      }
      try {
        await storage.transaction(async (tx) => {
          if (!(await deleteContainer(tx, id))) return;
          await audit.record(tx, {
            actor: actor.username,
            category: 'CertificateStoreContainer',
            operation: 'Deleted',
            entityType: 'CertificateStoreContainer',
            auditIdentifier: existing.name,
            immutableIdentifier: String(id),
          });
          await removeScopedGrants(tx, audit, actor, {
            area: 'certificate_stores',
            id,
            description: `Certificate store container '${existing.name}' (${id})`,
          });
        });
      } catch (error) {
        if (isForeignKeyViolation(error)) {
          throw conflictError(
            `Container '${existing.name}' (${id}) received a certificate store meanwhile; try again`,
          );
        }
        throw error;
      }
    },
  };
}
