import type { ListRequest, ListSpec } from '../../storage/list-query.js';
import { applyListRequest } from '../../storage/list-query.js';
import type { DatabaseExecutor } from '../../storage/storage.js';
import type { RoleClaim } from './role-repository.js';
import { toClaim } from './role-repository.js';

/** The claim types the legacy API calls identities: accounts and groups. */
export const identityClaimTypes = ['User', 'Group'] as const;

export const claimListSpec: ListSpec = {
  fields: {
    Id: { column: 'security_claims.id', type: 'integer' },
    ClaimType: { column: 'security_claims.claim_type', type: 'string' },
    ClaimValue: { column: 'security_claims.claim_value', type: 'string' },
    ProviderAuthenticationScheme: { column: 'security_claims.provider_scheme', type: 'string' },
    Description: { column: 'security_claims.description', type: 'string' },
  },
  defaultSort: 'Id',
  tieBreaker: 'security_claims.id',
};

export const identityListSpec: ListSpec = {
  fields: {
    Id: { column: 'security_claims.id', type: 'integer' },
    AccountName: { column: 'security_claims.claim_value', type: 'string' },
    IdentityType: { column: 'security_claims.claim_type', type: 'string' },
  },
  defaultSort: 'AccountName',
  tieBreaker: 'security_claims.id',
};

export async function listClaims(
  db: DatabaseExecutor,
  request: ListRequest,
  spec: ListSpec,
  types: readonly string[] | undefined,
): Promise<RoleClaim[]> {
  let query = db.selectFrom('security_claims').selectAll('security_claims');
  if (types !== undefined) query = query.where('security_claims.claim_type', 'in', types);
  const rows = await applyListRequest(query, request, spec).execute();
  return rows.map(toClaim);
}

export async function findClaim(db: DatabaseExecutor, id: number): Promise<RoleClaim | undefined> {
  const row = await db.selectFrom('security_claims').selectAll().where('id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : toClaim(row);
}

export async function findClaims(db: DatabaseExecutor, ids: readonly number[]): Promise<RoleClaim[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('security_claims')
    .selectAll()
    .where('id', 'in', [...new Set(ids)])
    .execute();
  return rows.map(toClaim);
}

export async function insertClaim(db: DatabaseExecutor, claim: Omit<RoleClaim, 'id'>): Promise<number> {
  const { id } = await db
    .insertInto('security_claims')
    .values({
      claim_type: claim.claimType,
      claim_value: claim.claimValue,
      provider_scheme: claim.providerScheme,
      description: claim.description,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

export async function updateClaimDescription(
  db: DatabaseExecutor,
  id: number,
  description: string,
): Promise<void> {
  await db.updateTable('security_claims').set({ description }).where('id', '=', id).execute();
}

export async function deleteClaim(db: DatabaseExecutor, id: number): Promise<void> {
  await db.deleteFrom('security_claims').where('id', '=', id).execute();
}

/** Ids of the roles holding each of these claims. */
export async function roleIdsByClaim(
  db: DatabaseExecutor,
  claimIds: readonly number[],
): Promise<Map<number, number[]>> {
  const result = new Map<number, number[]>(claimIds.map((id) => [id, []]));
  if (claimIds.length === 0) return result;
  const rows = await db
    .selectFrom('role_claim_links')
    .select(['claim_id', 'role_id'])
    .where('claim_id', 'in', [...new Set(claimIds)])
    .orderBy('role_id')
    .execute();
  for (const row of rows) result.get(row.claim_id)?.push(row.role_id);
  return result;
}
