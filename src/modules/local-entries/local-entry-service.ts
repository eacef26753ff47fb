import type { SecretCipher } from '../../crypto/secret-cipher.js';
import { AppError, conflictError, notFoundError, validationError } from '../../errors/app-error.js';
import { createIdPool } from '../../storage/id-pool.js';
import type { ListRequest } from '../../storage/list-query.js';
import type { DatabaseTransaction, Storage } from '../../storage/storage.js';
import { isForeignKeyViolation, isUniqueViolation } from '../../storage/storage.js';
import type { AuditOperationName } from '../audit/audit-catalog.js';
import type { AuditEvent, AuditWriter } from '../audit/audit-writer.js';
import type { PamAccess } from '../pam-providers/pam-provider-access.js';
import { requireProviderAccess } from '../pam-providers/pam-provider-access.js';
import { findProviderTypeId } from '../pam-providers/pam-provider-repository.js';
import { localProviderTypeId } from '../pam-providers/pam-provider-type-builtins.js';
import { findProviderType } from '../pam-providers/pam-provider-type-repository.js';
import { sealedLocations } from '../pam-providers/pam-reference.js';
import type { Actor } from '../security/actor.js';
import { entityTagOf, ifMatchAllows } from './local-entry-etag.js';
import type {
  EntryChanges,
  LocalEntryRecord,
  LocalEntrySummary,
  LocalEntryVersionRecord,
  LockedLocalEntry,
  NewEntry,
} from './local-entry-repository.js';
import {
  findStoresReferencingEntry,
  deleteEntry,
  findEntry,
  findEntryForChange,
  findEntryVersion,
  insertEntry,
  insertEntryRecorded,
  listEntries,
  listEntryVersions,
  lockEntry,
  pruneEntryVersions,
  updateEntry,
  updateEntryRecorded,
} from './local-entry-repository.js';

/** How often an update made in one statement reads the entry again after another change came first. */
const optimisticAttempts = 3;

export interface LocalEntryUpdate {
  /** The name in the body; optional only when the path names the entry. */
  secretName: string | undefined;
  /** The name in the path, for the `…/Entries/{secretName}` form real clients use. */
  pathSecretName: string | undefined;
  description: string | null | undefined;
  secretValue: string | null | undefined;
  /** The `If-Match` header, when the caller wants the change only if nobody changed the entry meanwhile. */
  ifMatch: string | undefined;
}

export interface LocalEntryVersionView extends LocalEntryVersionRecord {
  isCurrent: boolean;
}

export interface LocalEntryService {
  list(actor: Actor, providerId: number, request: ListRequest): Promise<LocalEntrySummary[]>;
  get(actor: Actor, providerId: number, secretName: string): Promise<LocalEntryRecord>;
  create(
    actor: Actor,
    providerId: number,
    input: { secretName: string; description: string | null; secretValue: string },
  ): Promise<LocalEntryRecord>;
  update(actor: Actor, providerId: number, input: LocalEntryUpdate): Promise<LocalEntryRecord>;
  remove(actor: Actor, providerId: number, secretName: string): Promise<void>;
  versions(actor: Actor, providerId: number, secretName: string): Promise<LocalEntryVersionView[]>;
  restore(
    actor: Actor,
    providerId: number,
    secretName: string,
    version: number,
    ifMatch: string | undefined,
  ): Promise<LocalEntryRecord>;
}

export function createLocalEntryService(dependencies: {
  storage: Storage;
  cipher: SecretCipher;
  audit: AuditWriter;
  now: () => Date;
  versionsKept: number;
}): LocalEntryService {
  const { storage, cipher, audit, now, versionsKept } = dependencies;
  const entryIds = createIdPool((executor, count) => storage.drawIds(executor, 'local_entries', count), 16);

  /** The provider must exist, be visible to the caller, allow `access`, and be of the local type. */
  async function requireLocalProvider(actor: Actor, providerId: number, access: PamAccess): Promise<void> {
    const typeId = requireProviderAccess(
      actor,
      providerId,
      await findProviderTypeId(storage.db, providerId),
      access,
    );
    if (typeId === localProviderTypeId) return;
    const type = await findProviderType(storage.db, typeId);
    throw validationError(
      `PAM provider '${providerId}' is of type '${type?.name ?? typeId}', not the local type 'LocalDB'; only local providers hold entries`,
    );
  }

  /**
   * Entries exist only in local providers (a provider's type never changes), so a read that finds entries
   * has already shown its provider is there and local; the provider is looked up only when the caller may
   * not read it or nothing was found, to answer 404 or 400 instead of an empty result.
   */
  const mayRead = (actor: Actor, providerId: number) => actor.permissions.has('/pam/read/', providerId);

  const entryNotFound = (providerId: number, secretName: string) =>
    notFoundError(`Secret '${secretName}' was not found in PAM provider '${providerId}'`);

  async function requireEntry(providerId: number, secretName: string): Promise<LocalEntryRecord> {
    const entry = await findEntry(storage.db, providerId, secretName);
    if (entry === undefined) throw entryNotFound(providerId, secretName);
    return entry;
  }

  function requireIfMatch(entry: LockedLocalEntry, ifMatch: string | undefined): void {
    if (ifMatch === undefined || ifMatchAllows(ifMatch, entityTagOf(entry))) return;
    throw new AppError(
      'precondition_failed',
      `Secret '${entry.secretName}' has changed since the version named in If-Match; its current ETag is ${entityTagOf(entry)}`,
    );
  }

  const mayModify = (actor: Actor, providerId: number) =>
    mayRead(actor, providerId) && actor.permissions.has('/pam/modify/', providerId);

  /**
   * Runs `change` on the entry, locked, in one transaction. As with reads, a caller allowed to modify the
   * provider goes straight to the entry: finding it shows the provider is there and local, which saves every
   * write a query (a round trip on PostgreSQL). The provider is looked up first only for a caller who may
   * be refused, and afterwards only to explain an entry that is not there.
   */
  async function changeEntry<T>(
    actor: Actor,
    providerId: number,
    secretName: string,
    ifMatch: string | undefined,
    change: (tx: DatabaseTransaction, entry: LockedLocalEntry) => Promise<T>,
  ): Promise<T> {
    const isProviderChecked = !mayModify(actor, providerId);
    if (isProviderChecked) await requireLocalProvider(actor, providerId, 'modify');
    const outcome = await storage.transaction(async (tx) => {
      const entry = await lockEntry(tx, providerId, secretName);
      if (entry === undefined) return { found: false as const };
      requireIfMatch(entry, ifMatch);
      return { found: true as const, value: await change(tx, entry) };
    });
    if (outcome.found) return outcome.value;
    if (!isProviderChecked) await requireLocalProvider(actor, providerId, 'modify');
    throw entryNotFound(providerId, secretName);
  }

  /**
   * Where one statement can change an entry and record it (PostgreSQL), an update by a caller who may modify
   * the provider is a read and that statement: two round trips and no transaction to open or commit. The
   * statement goes ahead only if the entry is still at the version read; when other changes keep coming first
   * it gives way to `changeEntry`, whose lock makes it wait its turn. Undefined leaves the update to
   * `changeEntry`, which also gives every refusal its answer.
   */
  async function updateInOneStatement(
    actor: Actor,
    providerId: number,
    secretName: string,
    ifMatch: string | undefined,
    changeOf: (entry: LockedLocalEntry) => { changes: EntryChanges; changedFields: string[] } | undefined,
  ): Promise<LocalEntryRecord | undefined> {
    // Keeping no versions means dropping the archive the update's own trigger writes, which no part of the
    // same statement can see.
    if (!storage.combinesChanges || versionsKept === 0 || !mayModify(actor, providerId)) return undefined;
    for (let attempt = 0; attempt < optimisticAttempts; attempt += 1) {
      const entry = await findEntryForChange(storage.db, providerId, secretName);
      if (entry === undefined) return undefined;
      requireIfMatch(entry, ifMatch);
      const change = changeOf(entry);
      if (change === undefined) return undefined;
      const { changes, changedFields } = change;
      const updated = await audit.recordInStatement(
        storage.db,
        changeEvent(actor, 'Updated', entry, { changedFields, version: changes.version }),
        (recordedFrom) => updateEntryRecorded(storage.db, entry, changes, versionsKept, recordedFrom),
      );
      if (updated !== undefined) return updated;
    }
    return undefined;
  }

  /**
   * Where one statement can make a change and record it (PostgreSQL), an entry created by a caller who may
   * modify the provider is that one statement, under an id drawn ahead so its audit entry can be signed
   * first; the statement itself checks that the provider is there and local. Undefined leaves the creation
   * to the transaction, after a provider check that gives every refusal its answer.
   */
  async function createInOneStatement(actor: Actor, entry: NewEntry): Promise<LocalEntryRecord | undefined> {
    if (!storage.combinesChanges || !mayModify(actor, entry.providerId)) return undefined;
    const id = await entryIds.next(storage.db);
    if (id === undefined) return undefined;
    return audit.recordInStatement(
      storage.db,
      changeEvent(actor, 'Created', { id, ...entry }, { version: 1 }),
      (recordedFrom) => insertEntryRecorded(storage.db, { id, ...entry }, localProviderTypeId, recordedFrom),
    );
  }

  function changeEvent(
    actor: Actor,
    operation: AuditOperationName,
    entry: { id: number; providerId: number; secretName: string },
    details: Record<string, unknown>,
  ): AuditEvent {
    return {
      actor: actor.username,
      category: 'LocalPamEntry',
      operation,
      entityType: 'LocalPamEntry',
      auditIdentifier: entry.secretName,
      immutableIdentifier: String(entry.id),
      details: { providerId: entry.providerId, ...details },
    };
  }

  async function recordChange(
    tx: DatabaseTransaction,
    actor: Actor,
    operation: AuditOperationName,
    entry: { id: number; providerId: number; secretName: string },
    details: Record<string, unknown>,
  ): Promise<void> {
    await audit.record(tx, changeEvent(actor, operation, entry, details));
  }

  return {
    async list(actor, providerId, request) {
      if (!mayRead(actor, providerId)) await requireLocalProvider(actor, providerId, 'read');
      const entries = await listEntries(storage.db, providerId, request);
      if (entries.length === 0) await requireLocalProvider(actor, providerId, 'read');
      return entries;
    },

    async get(actor, providerId, secretName) {
      if (!mayRead(actor, providerId)) await requireLocalProvider(actor, providerId, 'read');
      const entry = await findEntry(storage.db, providerId, secretName);
      if (entry !== undefined) return entry;
      await requireLocalProvider(actor, providerId, 'read');
      throw entryNotFound(providerId, secretName);
    },

    async create(actor, providerId, input) {
      const entry = {
        providerId,
        secretName: input.secretName,
        description: input.description,
        valueSealed: cipher.seal(input.secretValue, sealedLocations.localEntry(providerId, input.secretName)),
        now: now().toISOString(),
        actor: actor.username,
      };
      try {
        const created = await createInOneStatement(actor, entry);
        if (created !== undefined) return created;
        await requireLocalProvider(actor, providerId, 'modify');
        return await storage.transaction(async (tx) => {
          const inserted = await insertEntry(tx, entry);
          await recordChange(tx, actor, 'Created', inserted, { version: inserted.version });
          return inserted;
        });
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw conflictError(
            `A secret named '${input.secretName}' already exists in PAM provider '${providerId}'`,
          );
        }
        // The provider was deleted after it was checked.
        if (isForeignKeyViolation(error)) throw notFoundError(`PAM provider '${providerId}' was not found`);
        throw error;
      }
    },

    async update(actor, providerId, input) {
      const { pathSecretName } = input;
      if (
        pathSecretName !== undefined &&
        input.secretName !== undefined &&
        input.secretName !== pathSecretName
      ) {
        throw validationError(
          `'SecretName' in the body ('${input.secretName}') does not match the secret named in the path ('${pathSecretName}')`,
        );
      }
      const secretName = pathSecretName ?? input.secretName;
      if (secretName === undefined) throw validationError("'SecretName' is required");
      // Absent, null and empty all keep the stored secret: Keyfactor made SecretValue optional on update.
      const valueSealed =
        input.secretValue === undefined || input.secretValue === null || input.secretValue === ''
          ? undefined
          : cipher.seal(input.secretValue, sealedLocations.localEntry(providerId, secretName));
      // Full replace: a Description left out is cleared.
      const description = input.description ?? null;
      const changeOf = (entry: LockedLocalEntry) => {
        const changedFields = [
          ...(description === entry.description ? [] : ['Description']),
          ...(valueSealed === undefined ? [] : ['SecretValue']),
        ];
        if (changedFields.length === 0) return undefined;
        const changes = {
          description,
          valueSealed: valueSealed ?? entry.valueSealed,
          version: entry.version + 1,
          now: now().toISOString(),
          actor: actor.username,
        };
        return { changes, changedFields };
      };
      const updated = await updateInOneStatement(actor, providerId, secretName, input.ifMatch, changeOf);
      if (updated !== undefined) return updated;
      return changeEntry(actor, providerId, secretName, input.ifMatch, async (tx, entry) => {
        const change = changeOf(entry);
        if (change === undefined) {
          await recordChange(tx, actor, 'Updated', entry, { changedFields: [], version: entry.version });
          return entry;
        }
        const { changes, changedFields } = change;
        const updatedInTransaction = await updateEntry(tx, entry.id, changes);
        await pruneEntryVersions(tx, entry, versionsKept);
        await recordChange(tx, actor, 'Updated', updatedInTransaction, {
          changedFields,
          version: changes.version,
        });
        return updatedInTransaction;
      });
    },

    async remove(actor, providerId, secretName) {
      await changeEntry(actor, providerId, secretName, undefined, async (tx, entry) => {
        // Deleting it would leave those stores with a password that no longer resolves.
        const stores = await findStoresReferencingEntry(tx, providerId, secretName);
        if (stores.length > 0) {
          const named = stores
            .map((store) => `'${store.storeId}' (${store.clientMachine}, ${store.storepath})`)
            .join(', ');
          throw conflictError(
            `Secret '${secretName}' is referenced by certificate store(s) ${named}; point their password or secret properties elsewhere first`,
          );
        }
        await deleteEntry(tx, entry.id);
        await recordChange(tx, actor, 'Deleted', entry, { version: entry.version });
      });
    },

    async versions(actor, providerId, secretName) {
      await requireLocalProvider(actor, providerId, 'read');
      const entry = await requireEntry(providerId, secretName);
      const earlier = await listEntryVersions(storage.db, entry.id);
      return [
        {
          version: entry.version,
          description: entry.description,
          changedAt: entry.updatedAt,
          changedBy: entry.updatedBy,
          isCurrent: true,
        },
        ...earlier.map((version) => ({ ...version, isCurrent: false })),
      ];
    },

    async restore(actor, providerId, secretName, version, ifMatch) {
      return changeEntry(actor, providerId, secretName, ifMatch, async (tx, entry) => {
        if (version === entry.version) {
          throw conflictError(`Version ${version} is already the current version of secret '${secretName}'`);
        }
        const earlier = await findEntryVersion(tx, entry.id, version);
        if (earlier === undefined) {
          throw notFoundError(
            `Version ${version} of secret '${secretName}' is not kept (at most ${versionsKept} are)`,
          );
        }
        const restored = await updateEntry(tx, entry.id, {
          description: earlier.description,
          valueSealed: earlier.valueSealed,
          version: entry.version + 1,
          now: now().toISOString(),
          actor: actor.username,
        });
        await pruneEntryVersions(tx, entry, versionsKept);
        await recordChange(tx, actor, 'Restored', restored, {
          restoredVersion: version,
          version: restored.version,
        });
        return restored;
      });
    },
  };
}
