import type { SecretCipher } from '../../crypto/secret-cipher.js';
import { conflictError, validationError } from '../../errors/app-error.js';
import type { ListRequest } from '../../storage/list-query.js';
import type { DatabaseTransaction, Storage } from '../../storage/storage.js';
import { isForeignKeyViolation, isUniqueViolation } from '../../storage/storage.js';
import type { AuditWriter } from '../audit/audit-writer.js';
import type { Actor } from '../security/actor.js';
import { removeScopedGrants } from '../security/scoped-grant-cleanup.js';
import { requireProviderAccess } from './pam-provider-access.js';
import type { ParameterValueInput, ParameterValuePlan } from './pam-provider-parameter-values.js';
import { planParameterValues } from './pam-provider-parameter-values.js';
import type { ProviderFields, ProviderParamValueWrite, ProviderRecord } from './pam-provider-repository.js';
import {
  countProviderReferences,
  deleteProvider,
  findProvider,
  insertProvider,
  listProviders,
  replaceProviderValues,
  updateProvider,
} from './pam-provider-repository.js';
import { localProviderTypeId } from './pam-provider-type-builtins.js';
import type { ProviderTypeRecord } from './pam-provider-type-repository.js';
import { findProviderType, findProviderTypes } from './pam-provider-type-repository.js';
import { sealedLocations } from './pam-reference.js';

/** A provider with its type, which every response embeds. */
export interface ProviderView {
  provider: ProviderRecord;
  type: ProviderTypeRecord;
}

export interface ProviderInput {
  name: string;
  remote: boolean | undefined;
  area: number | undefined;
  securedAreaId: number | null | undefined;
  typeId: string | undefined;
  values: readonly ParameterValueInput[] | null | undefined;
}

export interface ProviderService {
  list(actor: Actor, request: ListRequest): Promise<ProviderView[]>;
  get(actor: Actor, id: number): Promise<ProviderView>;
  create(actor: Actor, input: ProviderInput): Promise<ProviderView>;
  /** Keyfactor's full-replace PUT; what a version does not carry (v2 has no `Area`) is kept. */
  update(actor: Actor, id: number, input: ProviderInput, apiVersion: 1 | 2): Promise<ProviderView>;
  remove(actor: Actor, id: number): Promise<void>;
}

/** Keyfactor documents 1, the certificate-store area, as the value providers normally carry. */
const defaultArea = 1;

export function createProviderService(dependencies: {
  storage: Storage;
  cipher: SecretCipher;
  audit: AuditWriter;
  now: () => Date;
}): ProviderService {
  const { storage, cipher, audit, now } = dependencies;

  async function view(provider: ProviderRecord): Promise<ProviderView> {
    const type = await findProviderType(storage.db, provider.typeId);
    // The foreign key guarantees the type; its absence means the database was edited underneath us.
    if (type === undefined) throw new Error(`PAM provider ${provider.id} has no provider type`);
    return { provider, type };
  }

  async function readable(actor: Actor, id: number): Promise<ProviderView> {
    return view(requireProviderAccess(actor, id, await findProvider(storage.db, id), 'read'));
  }

  function checkRules(input: ProviderInput, type: ProviderTypeRecord, remote: boolean): void {
    if (input.name.trim() === '') throw validationError("'Name' must not be blank");
    if (remote && type.id === localProviderTypeId) {
      throw validationError(`A provider of the local type '${type.name}' cannot be remote`);
    }
    const needsValues = type.parameters.some((param) => !param.instanceLevel);
    if (!remote && needsValues && (input.values === undefined || input.values === null)) {
      throw validationError("'ProviderTypeParamValues' is required when 'Remote' is false");
    }
  }

  /** Seals secret values for their final place; the provider id must already exist. */
  function writesFor(providerId: number, plans: readonly ParameterValuePlan[]): ProviderParamValueWrite[] {
    return plans.flatMap((plan): ProviderParamValueWrite[] => {
      if (plan.action === 'keep') return [];
      if (plan.param.dataType === 2) {
        const location = sealedLocations.providerParameter(providerId, plan.param.id);
        return [{ paramId: plan.param.id, valueText: null, valueSealed: cipher.seal(plan.value, location) }];
      }
      return [{ paramId: plan.param.id, valueText: plan.value, valueSealed: null }];
    });
  }

  async function guardName<T>(name: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (isUniqueViolation(error)) throw conflictError(`A PAM provider named '${name}' already exists`);
      throw error;
    }
  }

  async function recordChange(
    tx: DatabaseTransaction,
    actor: Actor,
    operation: 'Created' | 'Updated' | 'Deleted',
    provider: { id: number; name: string },
    details?: Record<string, unknown>,
  ): Promise<void> {
    await audit.record(tx, {
      actor: actor.username,
      category: 'PamProvider',
      operation,
      entityType: 'PamProvider',
      auditIdentifier: provider.name,
      immutableIdentifier: String(provider.id),
      ...(details === undefined ? {} : { details }),
    });
  }

  return {
    async list(actor, request) {
      const providers = await listProviders(storage.db, request, actor.permissions.scope('/pam/read/'));
      const types = await findProviderTypes(
        storage.db,
        providers.map((provider) => provider.typeId),
      );
      return providers.flatMap((provider) => {
        const type = types.get(provider.typeId);
        return type === undefined ? [] : [{ provider, type }];
      });
    },

    get: readable,

    async create(actor, input) {
      const typeId = input.typeId?.toLowerCase() ?? '';
      const type = await findProviderType(storage.db, typeId);
      if (type === undefined) {
        throw validationError(`'ProviderType.Id' names no PAM provider type ('${input.typeId ?? ''}')`);
      }
      const remote = input.remote ?? false;
      checkRules(input, type, remote);
      const plans = planParameterValues(type.parameters, input.values ?? [], new Set());
      const fields: ProviderFields = {
        name: input.name,
        typeId: type.id,
        area: input.area ?? defaultArea,
        securedAreaId: input.securedAreaId ?? null,
        remote,
      };
      const id = await guardName(input.name, () =>
        storage.transaction(async (tx) => {
          const providerId = await insertProvider(tx, fields, now().toISOString());
          await replaceProviderValues(tx, providerId, writesFor(providerId, plans), []);
          await recordChange(
            tx,
            actor,
            'Created',
            { id: providerId, name: input.name },
            {
              providerType: type.name,
              remote,
              area: fields.area,
              securedAreaId: fields.securedAreaId,
              parametersSet: plans.map((plan) => plan.param.name),
            },
          );
          return providerId;
        }),
      );
      return readable(actor, id);
    },

    async update(actor, id, input, apiVersion) {
      const existing = requireProviderAccess(actor, id, await findProvider(storage.db, id), 'modify');
      const { type } = await view(existing);
      if (apiVersion === 1 && input.typeId === undefined) throw validationError("'ProviderType' is required");
      if (apiVersion === 2 && input.remote === undefined) throw validationError("'Remote' is required");
      if (input.typeId !== undefined && input.typeId.toLowerCase() !== existing.typeId) {
        throw validationError(
          `The type of PAM provider '${id}' cannot be changed; create a new provider of the other type instead`,
        );
      }
      const remote = input.remote ?? false;
      checkRules(input, type, remote);
      const storedSecrets = new Set(
        existing.values.filter((value) => value.hasSealedValue).map((value) => value.paramId),
      );
      const plans = planParameterValues(type.parameters, input.values ?? [], storedSecrets);
      const fields = {
        name: input.name,
        remote,
        area: apiVersion === 1 ? (input.area ?? defaultArea) : existing.area,
        securedAreaId: apiVersion === 1 ? (input.securedAreaId ?? null) : existing.securedAreaId,
      };
      const changedFields = [
        ...(fields.name === existing.name ? [] : ['Name']),
        ...(fields.remote === existing.remote ? [] : ['Remote']),
        ...(fields.area === existing.area ? [] : ['Area']),
        ...(fields.securedAreaId === existing.securedAreaId ? [] : ['SecuredAreaId']),
        ...changedParameters(type, existing, plans),
      ];
      await guardName(input.name, () =>
        storage.transaction(async (tx) => {
          await updateProvider(tx, id, fields, now().toISOString());
          await replaceProviderValues(
            tx,
            id,
            writesFor(id, plans),
            plans.filter((plan) => plan.action === 'keep').map((plan) => plan.param.id),
          );
          await recordChange(
            tx,
            actor,
            'Updated',
            { id, name: input.name },
            {
              previousName: existing.name,
              changedFields,
            },
          );
        }),
      );
      return readable(actor, id);
    },

    async remove(actor, id) {
      const existing = requireProviderAccess(actor, id, await findProvider(storage.db, id), 'modify');
      const inUse = (detail: string) =>
        conflictError(`PAM provider '${existing.name}' is still in use by ${detail}; remove those first`);
      try {
        await storage.transaction(async (tx) => {
          const references = await countProviderReferences(tx, id);
          if (references.localEntries > 0 || references.storeSecrets > 0) {
            throw inUse(
              `${plural(references.localEntries, 'local entry', 'local entries')} and ${plural(references.storeSecrets, 'certificate store secret', 'certificate store secrets')}`,
            );
          }
          await deleteProvider(tx, id);
          await recordChange(tx, actor, 'Deleted', existing);
          await removeScopedGrants(tx, audit, actor, {
            area: 'pam',
            id,
            description: `PAM provider '${existing.name}' (${id})`,
          });
        });
      } catch (error) {
        // A reference added between the count and the delete still stops it, through the foreign key.
        if (isForeignKeyViolation(error)) throw inUse('a reference added meanwhile');
        throw error;
      }
    },
  };
}

/**
 * Names of the parameters whose value a PUT changes. A secret counts as changed whenever a new value is sent:
 * telling whether it equals the old one would mean opening it, and the audit only needs to know it was set.
 */
function changedParameters(
  type: ProviderTypeRecord,
  existing: ProviderRecord,
  plans: readonly ParameterValuePlan[],
): string[] {
  return type.parameters.flatMap((param) => {
    const before = existing.values.find((value) => value.paramId === param.id);
    const plan = plans.find((candidate) => candidate.param.id === param.id);
    if (plan === undefined) return before === undefined ? [] : [param.name];
    if (plan.action === 'keep') return [];
    if (param.dataType === 2) return [param.name];
    return before?.valueText === plan.value ? [] : [param.name];
  });
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}
