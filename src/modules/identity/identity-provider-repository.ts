import { sql } from 'kysely';
import type { ListRequest, ListSpec } from '../../storage/list-query.js';
import { applyListRequest } from '../../storage/list-query.js';
import type { DatabaseExecutor } from '../../storage/storage.js';

export interface IdentityProviderRecord {
  id: string;
  authenticationScheme: string;
  displayName: string;
  providerType: string;
  authenticationEnabled: boolean;
  permissionSetId: string;
  authority: string | null;
  audience: string | null;
  jwksUri: string | null;
  nameClaimType: string;
  roleClaimType: string;
  clientIdClaimType: string;
  /** The portal's OAuth client at this provider, for "Sign in with"; null when the portal does not use it. */
  clientId: string | null;
  isBuiltin: boolean;
}

export type IdentityProviderInput = Omit<IdentityProviderRecord, 'isBuiltin'>;

/** Keyfactor's query fields for this list; `Provider`, its default sort, is the display name. */
export const identityProviderListSpec: ListSpec = {
  fields: {
    Provider: { column: 'identity_providers.display_name', type: 'string' },
    AuthenticationScheme: { column: 'identity_providers.authentication_scheme', type: 'string' },
    AuthorizationUrl: { column: 'identity_providers.authority', type: 'string', nullable: true },
    DisplayName: { column: 'identity_providers.display_name', type: 'string' },
    ProviderTypes: { column: 'identity_providers.provider_type', type: 'string' },
  },
  defaultSort: 'Provider',
  tieBreaker: 'identity_providers.id',
};

type IdentityProviderRow = {
  id: string;
  authentication_scheme: string;
  display_name: string;
  provider_type: string;
  authentication_enabled: number;
  permission_set_id: string;
  authority: string | null;
  audience: string | null;
  jwks_uri: string | null;
  name_claim_type: string;
  role_claim_type: string;
  client_id_claim_type: string;
  client_id: string | null;
  is_builtin: number;
};

const toRecord = (row: IdentityProviderRow): IdentityProviderRecord => ({
  id: row.id,
  authenticationScheme: row.authentication_scheme,
  displayName: row.display_name,
  providerType: row.provider_type,
  authenticationEnabled: row.authentication_enabled === 1,
  permissionSetId: row.permission_set_id,
  authority: row.authority,
  audience: row.audience,
  jwksUri: row.jwks_uri,
  nameClaimType: row.name_claim_type,
  roleClaimType: row.role_claim_type,
  clientIdClaimType: row.client_id_claim_type,
  clientId: row.client_id,
  isBuiltin: row.is_builtin === 1,
});

const columns = [
  'id',
  'authentication_scheme',
  'display_name',
  'provider_type',
  'authentication_enabled',
  'permission_set_id',
  'authority',
  'audience',
  'jwks_uri',
  'name_claim_type',
  'role_claim_type',
  'client_id_claim_type',
  'client_id',
  'is_builtin',
] as const;

export async function listIdentityProviders(
  db: DatabaseExecutor,
  request: ListRequest,
): Promise<IdentityProviderRecord[]> {
  const rows = await applyListRequest(
    db.selectFrom('identity_providers').select(columns),
    request,
    identityProviderListSpec,
  ).execute();
  return rows.map(toRecord);
}

export async function listAllIdentityProviders(db: DatabaseExecutor): Promise<IdentityProviderRecord[]> {
  const rows = await db.selectFrom('identity_providers').select(columns).orderBy('id').execute();
  return rows.map(toRecord);
}

export async function findIdentityProvider(
  db: DatabaseExecutor,
  id: string,
): Promise<IdentityProviderRecord | undefined> {
  const row = await db
    .selectFrom('identity_providers')
    .select(columns)
    .where('id', '=', id.toLowerCase())
    .executeTakeFirst();
  return row === undefined ? undefined : toRecord(row);
}

/** The provider, other than `exceptId`, that already uses this scheme or display name (case-insensitive). */
export async function findConflictingIdentityProvider(
  db: DatabaseExecutor,
  scheme: string,
  displayName: string,
  exceptId?: string,
): Promise<IdentityProviderRecord | undefined> {
  let query = db
    .selectFrom('identity_providers')
    .select(columns)
    .where((eb) =>
      eb.or([
        eb(sql<string>`lower(authentication_scheme)`, '=', scheme.toLowerCase()),
        eb(sql<string>`lower(display_name)`, '=', displayName.toLowerCase()),
      ]),
    );
  if (exceptId !== undefined) query = query.where('id', '<>', exceptId);
  const row = await query.executeTakeFirst();
  return row === undefined ? undefined : toRecord(row);
}

function toRow(input: IdentityProviderInput) {
  return {
    authentication_scheme: input.authenticationScheme,
    display_name: input.displayName,
    provider_type: input.providerType,
    authentication_enabled: input.authenticationEnabled ? 1 : 0,
    permission_set_id: input.permissionSetId,
    authority: input.authority,
    audience: input.audience,
    jwks_uri: input.jwksUri,
    name_claim_type: input.nameClaimType,
    role_claim_type: input.roleClaimType,
    client_id_claim_type: input.clientIdClaimType,
    client_id: input.clientId,
  };
}

export async function insertIdentityProvider(
  db: DatabaseExecutor,
  input: IdentityProviderInput,
  now: string,
): Promise<void> {
  await db
    .insertInto('identity_providers')
    .values({ id: input.id, ...toRow(input), is_builtin: 0, created_at: now, updated_at: now })
    .execute();
}

export async function updateIdentityProvider(
  db: DatabaseExecutor,
  input: IdentityProviderInput,
  now: string,
): Promise<void> {
  await db
    .updateTable('identity_providers')
    .set({ ...toRow(input), updated_at: now })
    .where('id', '=', input.id)
    .execute();
}
