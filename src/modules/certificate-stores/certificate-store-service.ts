import { randomUUID } from 'node:crypto';
import { conflictError, isAppError, validationError } from '../../errors/app-error.js';
import type { ListRequest } from '../../storage/list-query.js';
import type { DatabaseExecutor, DatabaseTransaction, Storage } from '../../storage/storage.js';
import { isForeignKeyViolation, isUniqueViolation } from '../../storage/storage.js';
import type { AuditEvent, AuditWriter } from '../audit/audit-writer.js';
import type { Actor } from '../security/actor.js';
import type { StoreFields, StoreRecord } from './certificate-store-repository.js';
import {
  deleteStore,
  findStore,
  insertStore,
  listStores,
  moveStores,
  touchStore,
  updateStore,
} from './certificate-store-repository.js';
import {
  requireGlobalModify,
  requireModifiableStore,
  requireReadableStore,
  requireTargetContainer,
} from './store-access.js';
import type { ContainerRecord } from './store-container-repository.js';
import {
  claimContainerType,
  findContainer,
  findContainerIdByName,
  insertContainer,
} from './store-container-repository.js';
import { parseStoreProperties } from './store-properties.js';
import { parsePasswordInput, parseSecretInput } from './store-secret-input.js';
import type { StoreSecretRecord } from './store-secret-repository.js';
import {
  findStoreSecret,
  listStoreSecrets,
  passwordSecretKey,
  propertyNameOf,
  propertySecretKey,
  putStoreSecretRecorded,
} from './store-secret-repository.js';
import type { SecretWrite, StoreSecretService } from './store-secret-service.js';
import { describeSecretWrite } from './store-secret-service.js';
import type { StoreTypeRecord } from './store-type-model.js';
import { describeStoreType, storePropertyRules, supportsStorePassword } from './store-type-model.js';
import { findStoreType } from './store-type-repository.js';

/** A store with what its responses need: its type (for password support and property kinds) and secrets. */
export interface StoreDetails {
  store: StoreRecord;
  type: StoreTypeRecord;
  secrets: StoreSecretRecord[];
}

export interface StoreCreateInput {
  containerId: number | null;
  clientMachine: string;
  storepath: string;
  certStoreType: number;
  createIfMissing: boolean;
  properties: string | null;
  agentId: string | null;
  agentAssigned: boolean | undefined;
  inventorySchedule: unknown;
  /** The raw `Password` object; null or absent means none on create and unchanged on update. */
  password: unknown;
}

export interface StoreUpdateInput extends Omit<
  StoreCreateInput,
  'containerId' | 'clientMachine' | 'storepath' | 'certStoreType'
> {
  id: string;
  /** Undefined keeps the current container; null takes the store out of every container. */
  containerId: number | null | undefined;
  clientMachine: string | null | undefined;
  storepath: string | null | undefined;
  certStoreType: number | null | undefined;
}

/** Create and update take the agent and schedule as sent; an agent id is kept in lower case. */
function agentSettingsOf(
  input: Pick<StoreCreateInput, 'agentId' | 'agentAssigned' | 'inventorySchedule'>,
): Pick<StoreFields, 'agentId' | 'agentAssigned' | 'inventorySchedule'> {
  return {
    agentId: input.agentId?.toLowerCase() ?? null,
    agentAssigned: input.agentAssigned ?? input.agentId !== null,
    inventorySchedule: input.inventorySchedule ?? null,
  };
}

export interface ContainerAssignmentInput {
  containerId: number | null;
  newContainerName: string | null;
  newContainerType: number | null;
  storeIds: readonly string[];
}

export interface CertificateStoreService {
  list(actor: Actor, request: ListRequest): Promise<StoreDetails[]>;
  get(actor: Actor, id: string): Promise<StoreDetails>;
  create(actor: Actor, input: StoreCreateInput): Promise<StoreDetails>;
  update(actor: Actor, input: StoreUpdateInput): Promise<StoreDetails>;
  remove(actor: Actor, id: string): Promise<void>;
  removeMany(actor: Actor, ids: readonly string[]): Promise<void>;
  assignContainer(actor: Actor, input: ContainerAssignmentInput): Promise<StoreDetails[]>;
  setPassword(actor: Actor, storeId: string, newPassword: unknown): Promise<void>;
}

export async function loadStoreDetails(
  db: DatabaseExecutor,
  stores: readonly StoreRecord[],
): Promise<StoreDetails[]> {
  const types = new Map<number, StoreTypeRecord>();
  for (const storeType of new Set(stores.map((store) => store.certStoreType))) {
    const type = await findStoreType(db, storeType);
    // The foreign key keeps every store's type in place; a gap here means the database was edited by hand.
    if (type === undefined) throw new Error(`Certificate store type ${storeType} is missing`);
    types.set(storeType, type);
  }
  const secrets = await listStoreSecrets(
    db,
    stores.map((store) => store.id),
  );
  return stores.map((store) => ({
    store,
    type: types.get(store.certStoreType) as StoreTypeRecord,
    secrets: secrets.filter((secret) => secret.storeId === store.id),
  }));
}

function storeEvent(actor: Actor, store: Pick<StoreRecord, 'id' | 'clientMachine' | 'storepath'>) {
  return {
    actor: actor.username,
    category: 'CertificateStore',
    entityType: 'CertificateStore',
    auditIdentifier: `${store.clientMachine} - ${store.storepath}`,
    immutableIdentifier: store.id,
  } satisfies Partial<AuditEvent>;
}

/** A foreign key failing at commit means something the request named was deleted after it was checked. */
function translateReferenceError(error: unknown): unknown {
  if (isForeignKeyViolation(error)) {
    return validationError(
      'A container or PAM provider named in the request was deleted meanwhile; try again',
    );
  }
  return error;
}

function assertContainerType(field: string, container: ContainerRecord, type: StoreTypeRecord): void {
  // An untyped container (created as Command 25 does, without one) takes the type of its first store.
  if (container.certStoreType !== null && container.certStoreType !== type.storeType) {
    throw validationError(
      `'${field}' names container '${container.name}' (${container.id}), which holds stores of type ${container.certStoreType}, not of ${describeStoreType(type)}`,
    );
  }
}

export function createCertificateStoreService(dependencies: {
  storage: Storage;
  audit: AuditWriter;
  secrets: StoreSecretService;
  now: () => Date;
}): CertificateStoreService {
  const { storage, audit, secrets, now } = dependencies;

  async function details(store: StoreRecord): Promise<StoreDetails> {
    const [loaded] = await loadStoreDetails(storage.db, [store]);
    if (loaded === undefined) throw new Error('Store details did not load');
    return loaded;
  }

  /**
   * Where one statement can make a change and record it (PostgreSQL), a secret written with its audit entry
   * is that statement alone, committing on its own. False leaves the write to a transaction.
   */
  async function putInOneStatement(record: StoreSecretRecord, event: AuditEvent): Promise<boolean> {
    if (!storage.combinesChanges) return false;
    const written = await audit.recordInStatement(storage.db, event, (recordedFrom) =>
      putStoreSecretRecorded(storage.db, record, now().toISOString(), recordedFrom),
    );
    return written === true;
  }

  async function typeForStore(field: string, storeType: number): Promise<StoreTypeRecord> {
    const type = await findStoreType(storage.db, storeType);
    if (type === undefined) {
      throw validationError(`'${field}' names certificate store type '${storeType}', which does not exist`);
    }
    return type;
  }

  /** Run in the placing transaction: an untyped container takes the store's type, a typed one must match. */
  async function placeInContainer(tx: DatabaseTransaction, containerId: number, certStoreType: number) {
    if (!(await claimContainerType(tx, containerId, certStoreType))) {
      throw conflictError(
        `Certificate store container '${containerId}' received a store of another type meanwhile; try again`,
      );
    }
  }

  async function targetContainer(actor: Actor, field: string, containerId: number, type: StoreTypeRecord) {
    const container = requireTargetContainer(
      actor,
      field,
      containerId,
      await findContainer(storage.db, containerId),
    );
    assertContainerType(field, container, type);
    return container;
  }

  /** Checks and seals everything the Properties text asks for; the writes are applied later in one transaction. */
  async function planProperties(
    actor: Actor,
    storeId: string,
    type: StoreTypeRecord,
    text: string | null,
    existingSecrets: readonly StoreSecretRecord[],
  ): Promise<{ plain: Record<string, string>; writes: SecretWrite[] }> {
    const parsed = parseStoreProperties(text, storePropertyRules(type.definition), describeStoreType(type));
    const existingByName = new Map<string, StoreSecretRecord>();
    for (const secret of existingSecrets) {
      const name = propertyNameOf(secret.secretKey);
      if (name !== undefined) existingByName.set(name.toLowerCase(), secret);
    }
    const writes: SecretWrite[] = [];
    for (const [name, input] of parsed.secrets) {
      const existing = existingByName.get(name.toLowerCase());
      existingByName.delete(name.toLowerCase());
      const write = await secrets.prepare(actor, {
        storeId,
        secretKey: existing?.secretKey ?? propertySecretKey(name),
        field: `Properties.${name}`,
        input,
        existing,
      });
      if (write !== undefined) writes.push(write);
    }
    // Properties is a full replacement: a secret property left out is removed, value and all.
    for (const removed of existingByName.values())
      writes.push({ action: 'delete', secretKey: removed.secretKey });
    return { plain: Object.fromEntries(parsed.plain), writes };
  }

  async function planPassword(
    actor: Actor,
    storeId: string,
    type: StoreTypeRecord,
    raw: unknown,
    existing: StoreSecretRecord | undefined,
  ): Promise<SecretWrite | undefined> {
    const input = parsePasswordInput(raw, 'Password');
    if ((input.kind === 'stored' || input.kind === 'reference') && !supportsStorePassword(type.definition)) {
      throw validationError(
        `${describeStoreType(type)} does not support a store password; send 'Password' as null`,
      );
    }
    return secrets.prepare(actor, {
      storeId,
      secretKey: passwordSecretKey,
      field: 'Password',
      input,
      existing,
    });
  }

  /**
   * Plans every secret a create or update writes: the secret properties, then the password when one was
   * sent. Nothing is written yet; a new store has no existing secrets.
   */
  async function planSecrets(
    actor: Actor,
    storeId: string,
    type: StoreTypeRecord,
    input: Pick<StoreCreateInput, 'properties' | 'password'>,
    existingSecrets: readonly StoreSecretRecord[],
  ): Promise<{ plain: Record<string, string>; password: SecretWrite | undefined; writes: SecretWrite[] }> {
    const properties = await planProperties(actor, storeId, type, input.properties, existingSecrets);
    const existingPassword = existingSecrets.find((secret) => secret.secretKey === passwordSecretKey);
    const password = await planPassword(actor, storeId, type, input.password, existingPassword);
    return {
      plain: properties.plain,
      password,
      writes: password === undefined ? properties.writes : [...properties.writes, password],
    };
  }

  async function applyWrites(tx: DatabaseTransaction, storeId: string, writes: readonly SecretWrite[]) {
    for (const write of writes) await secrets.apply(tx, storeId, write);
  }

  function translateWriteError(
    error: unknown,
    fields: Pick<StoreFields, 'clientMachine' | 'storepath' | 'certStoreType'>,
  ) {
    if (isUniqueViolation(error)) {
      return conflictError(
        `A certificate store of type ${fields.certStoreType} for '${fields.clientMachine}' at '${fields.storepath}' already exists`,
      );
    }
    return translateReferenceError(error);
  }

  async function get(actor: Actor, id: string): Promise<StoreDetails> {
    return details(requireReadableStore(actor, id, await findStore(storage.db, id.toLowerCase())));
  }

  async function removeOne(actor: Actor, id: string): Promise<void> {
    const store = requireModifiableStore(actor, id, await findStore(storage.db, id));
    await storage.transaction(async (tx) => {
      if (!(await deleteStore(tx, store.id))) return;
      await audit.record(tx, { ...storeEvent(actor, store), operation: 'Deleted' });
    });
  }

  return {
    async list(actor, request) {
      const stores = await listStores(
        storage.db,
        request,
        actor.permissions.scope('/certificate_stores/read/'),
      );
      return loadStoreDetails(storage.db, stores);
    },

    get,

    async create(actor, input) {
      const type = await typeForStore('CertStoreType', input.certStoreType);
      if (input.containerId === null) {
        requireGlobalModify(actor, 'Creating a certificate store outside any container');
      } else {
        await targetContainer(actor, 'ContainerId', input.containerId, type);
      }
      const id = randomUUID();
      const { plain, writes } = await planSecrets(actor, id, type, input, []);
      const fields: StoreFields = {
        id,
        containerId: input.containerId,
        clientMachine: input.clientMachine,
        storepath: input.storepath,
        certStoreType: type.storeType,
        createIfMissing: input.createIfMissing,
        properties: plain,
        ...agentSettingsOf(input),
      };
      try {
        await storage.transaction(async (tx) => {
          if (fields.containerId !== null)
            await placeInContainer(tx, fields.containerId, fields.certStoreType);
          await insertStore(tx, fields, now().toISOString());
          await applyWrites(tx, id, writes);
          await audit.record(tx, {
            ...storeEvent(actor, fields),
            operation: 'Created',
            details: {
              containerId: fields.containerId,
              certStoreType: fields.certStoreType,
              secrets: writes.map(describeSecretWrite),
            },
          });
        });
      } catch (error) {
        throw translateWriteError(error, fields);
      }
      return get(actor, id);
    },

    async update(actor, input) {
      const id = input.id.toLowerCase();
      const existing = requireModifiableStore(actor, id, await findStore(storage.db, id));
      const type = await typeForStore('CertStoreType', existing.certStoreType);
      if (
        input.clientMachine !== undefined &&
        input.clientMachine !== null &&
        input.clientMachine.toLowerCase() !== existing.clientMachine.toLowerCase()
      ) {
        throw validationError(
          `'ClientMachine' cannot be changed (the store has '${existing.clientMachine}'); create a new store instead`,
        );
      }
      if (
        input.storepath !== undefined &&
        input.storepath !== null &&
        input.storepath !== existing.storepath
      ) {
        throw validationError(
          `'Storepath' cannot be changed (the store has '${existing.storepath}'); create a new store instead`,
        );
      }
      if (
        input.certStoreType !== undefined &&
        input.certStoreType !== null &&
        input.certStoreType !== existing.certStoreType
      ) {
        throw validationError(
          `'CertStoreType' cannot be changed (the store is of type ${existing.certStoreType}); create a new store instead`,
        );
      }
      const containerId = input.containerId === undefined ? existing.containerId : input.containerId;
      if (containerId !== existing.containerId) {
        if (containerId === null)
          requireGlobalModify(actor, 'Taking a certificate store out of its container');
        else await targetContainer(actor, 'ContainerId', containerId, type);
      }
      const existingSecrets = await listStoreSecrets(storage.db, [id]);
      const { plain, password, writes } = await planSecrets(actor, id, type, input, existingSecrets);
      const fields: StoreFields = {
        id,
        containerId,
        clientMachine: existing.clientMachine,
        storepath: existing.storepath,
        certStoreType: existing.certStoreType,
        createIfMissing: input.createIfMissing,
        properties: plain,
        ...agentSettingsOf(input),
      };
      try {
        await storage.transaction(async (tx) => {
          if (containerId !== null && containerId !== existing.containerId) {
            await placeInContainer(tx, containerId, fields.certStoreType);
          }
          await updateStore(tx, fields, now().toISOString());
          await applyWrites(tx, id, writes);
          await audit.record(tx, {
            ...storeEvent(actor, existing),
            operation: 'Updated',
            details: {
              containerId: { from: existing.containerId, to: containerId },
              secrets: writes.map(describeSecretWrite),
              passwordChanged: password !== undefined,
            },
          });
        });
      } catch (error) {
        throw translateWriteError(error, fields);
      }
      return get(actor, id);
    },

    remove: (actor, id) => removeOne(actor, id.toLowerCase()),

    async removeMany(actor, ids) {
      // Keyfactor documents this call as ignoring individual failures and carrying on with the rest.
      for (const id of new Set(ids.map((value) => value.toLowerCase()))) {
        try {
          await removeOne(actor, id);
        } catch (error) {
          if (!isAppError(error)) throw error;
        }
      }
    },

    async assignContainer(actor, input) {
      const ids = [...new Set(input.storeIds.map((value) => value.toLowerCase()))];
      const stores: StoreRecord[] = [];
      for (const id of ids) stores.push(requireModifiableStore(actor, id, await findStore(storage.db, id)));

      const newName = input.newContainerName?.trim() ?? '';
      let target: { id: number | undefined; name: string; certStoreType: number | null };
      if (newName !== '') {
        requireGlobalModify(actor, 'Creating a certificate store container');
        const type = await typeForStore('NewContainerType', input.newContainerType ?? 0);
        if ((await findContainerIdByName(storage.db, newName)) !== undefined) {
          throw conflictError(`A certificate store container named '${newName}' already exists`);
        }
        target = { id: undefined, name: newName, certStoreType: type.storeType };
      } else if (input.containerId !== null && input.containerId > 0) {
        const container = requireTargetContainer(
          actor,
          'CertStoreContainerId',
          input.containerId,
          await findContainer(storage.db, input.containerId),
        );
        target = container;
      } else {
        throw validationError("Either 'CertStoreContainerId' or 'NewContainerName' is required");
      }
      const storeType = target.certStoreType ?? stores[0]?.certStoreType ?? null;
      for (const store of stores) {
        if (store.certStoreType !== storeType) {
          throw validationError(
            target.certStoreType === null
              ? `Certificate stores of different types (${store.certStoreType} and ${String(storeType)}) cannot share container '${target.name}'`
              : `Certificate store '${store.id}' is of type ${store.certStoreType}, but container '${target.name}' holds stores of type ${target.certStoreType}`,
          );
        }
      }

      try {
        await storage.transaction(async (tx) => {
          let containerId = target.id;
          if (containerId === undefined) {
            containerId = await insertContainer(tx, {
              name: target.name,
              certStoreType: target.certStoreType,
              overwriteSchedules: false,
              schedule: null,
            });
            await audit.record(tx, {
              actor: actor.username,
              category: 'CertificateStoreContainer',
              operation: 'Created',
              entityType: 'CertificateStoreContainer',
              auditIdentifier: target.name,
              immutableIdentifier: String(containerId),
              details: { certStoreType: target.certStoreType },
            });
          }
          if (storeType !== null) await placeInContainer(tx, containerId, storeType);
          await moveStores(tx, ids, containerId, now().toISOString());
          for (const store of stores) {
            await audit.record(tx, {
              ...storeEvent(actor, store),
              operation: 'Updated',
              details: { containerId: { from: store.containerId, to: containerId } },
            });
          }
        });
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw conflictError(`A certificate store container named '${target.name}' already exists`);
        }
        throw translateReferenceError(error);
      }
      const moved: StoreRecord[] = [];
      for (const id of ids) {
        const store = await findStore(storage.db, id);
        if (store !== undefined) moved.push(store);
      }
      return loadStoreDetails(storage.db, moved);
    },

    async setPassword(actor, storeId, newPassword) {
      const id = storeId.toLowerCase();
      const store = requireModifiableStore(actor, id, await findStore(storage.db, id));
      const type = await typeForStore('CertStoreType', store.certStoreType);
      if (!supportsStorePassword(type.definition)) {
        throw validationError(
          `Certificate store '${id}' is of ${describeStoreType(type)}, which does not support a store password`,
        );
      }
      const input = parseSecretInput(newPassword, 'NewPassword');
      // The password's row is keyed by the store alone, so only clearing it needs to know whether it exists.
      const existing =
        input.kind === 'none' ? await findStoreSecret(storage.db, id, passwordSecretKey) : undefined;
      const write = await secrets.prepare(actor, {
        storeId: id,
        secretKey: passwordSecretKey,
        field: 'NewPassword',
        input,
        existing,
      });
      const event: AuditEvent = {
        ...storeEvent(actor, store),
        category: 'CertificateStorePassword',
        operation: 'Updated',
        details:
          write === undefined ? { secret: passwordSecretKey, form: 'unchanged' } : describeSecretWrite(write),
      };
      try {
        if (write?.action === 'put' && (await putInOneStatement(write.record, event))) return;
        await storage.transaction(async (tx) => {
          if (write !== undefined) await secrets.apply(tx, id, write);
          await touchStore(tx, id, now().toISOString());
          await audit.record(tx, event);
        });
      } catch (error) {
        throw translateWriteError(error, store);
      }
    },
  };
}
