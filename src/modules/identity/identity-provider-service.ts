import { conflictError, notFoundError, validationError } from '../../errors/app-error.js';
import type { ListRequest } from '../../storage/list-query.js';
import type { Storage } from '../../storage/storage.js';
import type { AuditWriter } from '../audit/audit-writer.js';
import { globalPermissionSetId } from '../security/admin-bootstrap.js';
import type { Actor } from '../security/actor.js';
import { identityProviderId } from '../security/identity-provider-id.js';
import { findPermissionSet } from '../security/role-repository.js';
import type { IdentityProviderInput, IdentityProviderRecord } from './identity-provider-repository.js';
import {
  findConflictingIdentityProvider,
  findIdentityProvider,
  insertIdentityProvider,
  listIdentityProviders,
  updateIdentityProvider,
} from './identity-provider-repository.js';
import type { JwksCache } from './jwks-cache.js';
import { discoverProvider } from './provider-discovery.js';

/** The scheme of the built-in token issuer's provider; its Authority is this server's issuer URL. */
export const builtinIssuerScheme = 'Strongroom';
export const genericProviderType = 'Generic';

/** Provider parameters by their API name, with the label Keyfactor shows and the default when omitted. */
export const providerParameters = {
  Authority: { displayName: 'Authority', fallback: undefined },
  Audience: { displayName: 'OIDC Audience', fallback: undefined },
  NameClaimType: { displayName: 'Name Claim Type', fallback: 'sub' },
  RoleClaimType: { displayName: 'Role Claim Type', fallback: 'roles' },
  ClientIdClaimType: { displayName: 'OAuth Client Id Claim Type', fallback: 'client_id' },
  ClientId: { displayName: 'Client Id', fallback: undefined },
} as const;

export type ProviderParameterName = keyof typeof providerParameters;

export interface IdentityProviderDraft {
  authenticationScheme: string;
  displayName: string;
  providerType: string;
  authenticationEnabled: boolean;
  permissionSetId: string | undefined;
  parameters: readonly { name: string; value: string }[];
}

export interface IdentityProviderService {
  list(request: ListRequest): Promise<IdentityProviderRecord[]>;
  get(id: string): Promise<IdentityProviderRecord>;
  create(actor: Actor, draft: IdentityProviderDraft): Promise<IdentityProviderRecord>;
  update(actor: Actor, id: string, draft: IdentityProviderDraft): Promise<IdentityProviderRecord>;
}

const claimTypePattern = /^[A-Za-z0-9_.:/-]{1,256}$/;

/**
 * Identity providers in Keyfactor's model. Every save of an external provider first fetches and checks its
 * discovery document and key set (outside any transaction), so a provider that cannot be verified against
 * is never stored; the keys fetched then go straight into the JWKS cache.
 */
export function createIdentityProviderService(options: {
  storage: Storage;
  audit: AuditWriter;
  now: () => Date;
  issuer: string;
  jwksCache: JwksCache;
}): IdentityProviderService {
  const { storage, audit, now, issuer, jwksCache } = options;

  /** The built-in issuer's row stores no URL, because the URL comes from this server's configuration. */
  const presented = (record: IdentityProviderRecord): IdentityProviderRecord =>
    record.authenticationScheme === builtinIssuerScheme && record.isBuiltin
      ? { ...record, authority: issuer, audience: issuer }
      : record;

  async function existing(id: string): Promise<IdentityProviderRecord> {
    const record = await findIdentityProvider(storage.db, id);
    if (record === undefined) throw notFoundError(`Identity provider '${id}' was not found`);
    return presented(record);
  }

  /** Checks a draft and fetches what it points to; returns the row to store. */
  async function prepare(
    draft: IdentityProviderDraft,
    id: string,
  ): Promise<IdentityProviderInput & { jwks: Parameters<JwksCache['prime']>[2] }> {
    if (draft.providerType.toLowerCase() !== genericProviderType.toLowerCase()) {
      throw validationError(`'ProviderType' must be '${genericProviderType}' (an OpenID Connect provider)`);
    }
    const values = parameterValues(draft.parameters);
    const authority = values.Authority;
    if (authority === undefined) throw validationError("Parameter 'Authority' is required");
    const audience = values.Audience;
    if (audience === undefined) throw validationError("Parameter 'Audience' (OIDC Audience) is required");
    const permissionSetId = draft.permissionSetId ?? globalPermissionSetId;
    const permissionSet = await findPermissionSet(storage.db, permissionSetId);
    if (permissionSet === undefined) {
      throw validationError(`'PermissionSetId' '${permissionSetId}' is not a permission set`);
    }
    const { jwksUri, jwks } = await discoverProvider(authority);
    return {
      id,
      authenticationScheme: draft.authenticationScheme,
      displayName: draft.displayName,
      providerType: genericProviderType,
      authenticationEnabled: draft.authenticationEnabled,
      permissionSetId: permissionSet.id,
      authority,
      audience,
      jwksUri,
      nameClaimType: values.NameClaimType ?? providerParameters.NameClaimType.fallback,
      roleClaimType: values.RoleClaimType ?? providerParameters.RoleClaimType.fallback,
      clientIdClaimType: values.ClientIdClaimType ?? providerParameters.ClientIdClaimType.fallback,
      clientId: values.ClientId ?? null,
      jwks,
    };
  }

  /** Run before the discovery fetch, so a duplicate is refused without calling the provider. */
  async function assertUnique(
    db: Storage['db'],
    scheme: string,
    displayName: string,
    exceptId?: string,
  ): Promise<void> {
    const conflict = await findConflictingIdentityProvider(db, scheme, displayName, exceptId);
    if (conflict === undefined) return;
    const field =
      conflict.authenticationScheme.toLowerCase() === scheme.toLowerCase()
        ? `AuthenticationScheme '${scheme}'`
        : `DisplayName '${displayName}'`;
    throw conflictError(`An identity provider with ${field} already exists`);
  }

  return {
    async list(request) {
      return (await listIdentityProviders(storage.db, request)).map(presented);
    },

    get: existing,

    async create(actor, draft) {
      await assertUnique(storage.db, draft.authenticationScheme, draft.displayName);
      const { jwks, ...input } = await prepare(draft, identityProviderId(draft.authenticationScheme));
      await storage.transaction(async (tx) => {
        // Checked again inside the transaction: the unique indexes would refuse a race, but with a 500.
        await assertUnique(tx, input.authenticationScheme, input.displayName);
        await insertIdentityProvider(tx, input, now().toISOString());
        await audit.record(tx, {
          actor: actor.username,
          category: 'IdentityProvider',
          operation: 'Created',
          entityType: 'IdentityProvider',
          auditIdentifier: input.authenticationScheme,
          immutableIdentifier: input.id,
          details: auditDetails(input),
        });
      });
      if (input.jwksUri !== null) jwksCache.prime(input.id, input.jwksUri, jwks);
      return existing(input.id);
    },

    async update(actor, id, draft) {
      const current = await existing(id);
      if (current.isBuiltin) {
        throw validationError(
          `The built-in identity provider '${current.authenticationScheme}' cannot be changed`,
        );
      }
      if (current.authenticationScheme.toLowerCase() !== draft.authenticationScheme.toLowerCase()) {
        throw validationError(
          `'AuthenticationScheme' cannot be changed (it is '${current.authenticationScheme}'); roles' claims refer to it`,
        );
      }
      await assertUnique(storage.db, current.authenticationScheme, draft.displayName, current.id);
      const { jwks, ...input } = await prepare(
        { ...draft, authenticationScheme: current.authenticationScheme },
        current.id,
      );
      await storage.transaction(async (tx) => {
        await assertUnique(tx, input.authenticationScheme, input.displayName, current.id);
        if ((await findIdentityProvider(tx, current.id)) === undefined) {
          throw notFoundError(`Identity provider '${id}' was not found`);
        }
        await updateIdentityProvider(tx, input, now().toISOString());
        await audit.record(tx, {
          actor: actor.username,
          category: 'IdentityProvider',
          operation: 'Updated',
          entityType: 'IdentityProvider',
          auditIdentifier: input.authenticationScheme,
          immutableIdentifier: input.id,
          details: auditDetails(input),
        });
      });
      if (input.jwksUri !== null) jwksCache.prime(input.id, input.jwksUri, jwks);
      return existing(input.id);
    },
  };
}

function auditDetails(input: IdentityProviderInput): Record<string, unknown> {
  return {
    DisplayName: input.displayName,
    AuthenticationEnabled: input.authenticationEnabled,
    Authority: input.authority,
    Audience: input.audience,
    NameClaimType: input.nameClaimType,
    RoleClaimType: input.roleClaimType,
    ClientIdClaimType: input.clientIdClaimType,
    ClientId: input.clientId,
  };
}

/** Parameter names are matched without regard to case, spaces or Keyfactor's label ("OIDC Audience"). */
function parameterValues(
  parameters: readonly { name: string; value: string }[],
): Partial<Record<ProviderParameterName, string>> {
  const normalize = (text: string) => text.replace(/\s+/g, '').toLowerCase();
  const names = Object.keys(providerParameters) as ProviderParameterName[];
  const values: Partial<Record<ProviderParameterName, string>> = {};
  for (const parameter of parameters) {
    const name = names.find(
      (candidate) =>
        normalize(candidate) === normalize(parameter.name) ||
        normalize(providerParameters[candidate].displayName) === normalize(parameter.name),
    );
    if (name === undefined) {
      throw validationError(`Parameter '${parameter.name}' is not supported; use ${names.join(', ')}`);
    }
    if (values[name] !== undefined) throw validationError(`Parameter '${name}' is given more than once`);
    const value = parameter.value.trim();
    if (value === '') throw validationError(`Parameter '${name}' must not be empty`);
    if (name.endsWith('ClaimType') && !claimTypePattern.test(value)) {
      throw validationError(`Parameter '${name}' must be a claim name (letters, digits and _ . : / -)`);
    }
    values[name] = value;
  }
  return values;
}
