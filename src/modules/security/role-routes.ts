import Type from 'typebox';
import { validationError } from '../../errors/app-error.js';
import type { RouteRegistrar } from '../../http/app.js';
import { listRequestFromQuery } from '../../http/paging.js';
import { actorOf, requirePermission } from '../../http/route-access.js';
import {
  formatLegacyPermission,
  legacyPermissionsGranted,
  objectPermissionName,
} from './legacy-permissions.js';
import { identityProviderId } from './identity-provider-id.js';
import type { RoleRecord } from './role-repository.js';
import type {
  ContainerGrantResponse,
  LegacyRoleResponse,
  PamProviderGrantResponse,
  RoleCreateRequest,
  RoleResponse,
  RoleSummaryResponse,
} from './role-schemas.js';
import {
  ContainerGrantRequest,
  ContainerGrantResponse as ContainerGrantResponseSchema,
  PamProviderGrantRequest,
  PamProviderGrantResponse as PamProviderGrantResponseSchema,
  RoleCreateRequest as RoleCreateRequestSchema,
  RoleIdParams,
  RoleListQuery,
  RoleUpdateRequest,
  VersionedRoleListResponse,
  VersionedRoleResponse,
  claimTypeName,
} from './role-schemas.js';
import type { ObjectGrant, RoleDraft, RoleService } from './role-service.js';
import { localProviderScheme } from './role-service.js';

const tags = ['Security Roles'];
const versionNote =
  'With x-keyfactor-api-version 2 the v2 shape (access-control strings and Claims); otherwise the v1 (legacy) shape (Area:Permission pairs and Identities).';

/**
 * Keyfactor names the identity provider behind each claim. Its id is derived from the scheme, as the
 * provider's own record's is (identity-provider-id.ts), so the two agree without a lookup.
 */
export function identityProvider(scheme: string) {
  return {
    Id: identityProviderId(scheme),
    AuthenticationScheme: scheme,
    DisplayName:
      scheme.toLowerCase() === localProviderScheme.toLowerCase() ? 'Strongroom local users' : scheme,
  };
}

function toRoleResponse(role: RoleRecord): RoleResponse {
  return {
    Id: role.id,
    Name: role.name,
    Description: role.description,
    EmailAddress: role.emailAddress,
    Immutable: role.immutable,
    PermissionSetId: role.permissionSetId,
    Permissions: role.permissions,
    Claims: role.claims.map((claim) => ({
      Id: claim.id,
      Description: claim.description,
      ClaimType: claim.claimType,
      ClaimValue: claim.claimValue,
      Provider: identityProvider(claim.providerScheme),
    })),
  };
}

function toRoleSummary(role: RoleRecord): RoleSummaryResponse {
  return {
    Id: role.id,
    Name: role.name,
    EmailAddress: role.emailAddress,
    Immutable: role.immutable,
    PermissionSetId: role.permissionSetId,
    ClaimsCount: role.claims.length,
  };
}

export function toLegacyRole(role: RoleRecord): LegacyRoleResponse {
  return {
    Id: role.id,
    Name: role.name,
    Description: role.description,
    EmailAddress: role.emailAddress,
    Enabled: true,
    Immutable: role.immutable,
    Valid: true,
    Private: false,
    PermissionSetId: role.permissionSetId,
    Identities: role.claims
      .filter((claim) => claim.claimType === 'User' || claim.claimType === 'Group')
      .map((claim) => ({
        Id: claim.id,
        AccountName: claim.claimValue,
        IdentityType: claim.claimType,
        Valid: true,
        SID: null,
      })),
    Permissions: legacyPermissionsGranted(role.permissions).map(formatLegacyPermission),
  };
}

const toVersionedRole = (version: 1 | 2, role: RoleRecord) =>
  version === 2 ? toRoleResponse(role) : toLegacyRole(role);

/**
 * v2 replaces everything a role is (its lists are complete, so an absent list is an empty one) and needs a
 * permission set; v1 leaves out what it does not send, as its clients manage grants through sub-resources.
 */
function toDraft(version: 1 | 2, body: RoleCreateRequest): RoleDraft {
  if (version === 2) {
    if (body.PermissionSetId === undefined) throw validationError("'PermissionSetId' is required");
    return {
      name: body.Name,
      description: body.Description,
      emailAddress: body.EmailAddress ?? null,
      permissionSetId: body.PermissionSetId,
      permissions: { model: 'access-control', values: body.Permissions ?? [] },
      claims: {
        model: 'claims',
        values: (body.Claims ?? []).map((claim) => ({
          claimType: claimTypeName(claim.ClaimType),
          claimValue: claim.ClaimValue,
          providerScheme: claim.ProviderAuthenticationScheme,
          description: claim.Description,
        })),
      },
    };
  }
  return {
    name: body.Name,
    description: body.Description,
    ...(body.EmailAddress === undefined ? {} : { emailAddress: body.EmailAddress }),
    ...(body.PermissionSetId === undefined ? {} : { permissionSetId: body.PermissionSetId }),
    ...(body.Permissions === undefined || body.Permissions === null
      ? {}
      : { permissions: { model: 'legacy', values: body.Permissions } }),
    ...(body.Identities === undefined || body.Identities === null
      ? {}
      : {
          claims: {
            model: 'legacy-identities',
            accountNames: body.Identities.map((identity) => identity.AccountName),
          },
        }),
  };
}

function toPamProviderGrants(grants: ObjectGrant[]): PamProviderGrantResponse {
  return grants.map((grant) => ({
    PamProviderId: grant.objectId,
    Name: grant.name,
    Permissions: grant.bases.map(objectPermissionName),
  }));
}

function toContainerGrants(grants: ObjectGrant[]): ContainerGrantResponse {
  return grants.flatMap((grant) =>
    grant.bases.map((base) => ({
      ContainerId: grant.objectId,
      Name: grant.name,
      Permission: objectPermissionName(base),
    })),
  );
}

const readAccess = requirePermission('/security/read/');
const modifyAccess = requirePermission('/security/modify/');

export function roleRoutes(service: RoleService): RouteRegistrar {
  return (app) => {
    app.get(
      '/KeyfactorAPI/Security/Roles',
      {
        schema: {
          tags,
          summary: 'Lists security roles (paged; QueryString and SortField over Id and Name)',
          description: `${versionNote} The v2 list carries ClaimsCount instead of the claims.`,
          querystring: RoleListQuery,
          response: { 200: VersionedRoleListResponse },
        },
        config: { access: readAccess },
      },
      async (request) => {
        const roles = await service.list(listRequestFromQuery(request.query));
        return request.apiVersion === 2 ? roles.map(toRoleSummary) : roles.map(toLegacyRole);
      },
    );

    app.get(
      '/KeyfactorAPI/Security/Roles/:id',
      {
        schema: {
          tags,
          summary: 'Gets one security role',
          description: versionNote,
          params: RoleIdParams,
          response: { 200: VersionedRoleResponse },
        },
        config: { access: readAccess },
      },
      async (request) => toVersionedRole(request.apiVersion, await service.get(request.params.id)),
    );

    app.post(
      '/KeyfactorAPI/Security/Roles',
      {
        schema: {
          tags,
          summary: 'Creates a security role',
          description: `${versionNote} v2 requires PermissionSetId; v1 defaults it to the Global set. The caller must hold every permission the role grants.`,
          body: RoleCreateRequestSchema,
          response: { 200: VersionedRoleResponse },
        },
        config: { access: modifyAccess },
      },
      async (request) =>
        toVersionedRole(
          request.apiVersion,
          await service.create(actorOf(request), toDraft(request.apiVersion, request.body)),
        ),
    );

    app.put(
      '/KeyfactorAPI/Security/Roles',
      {
        schema: {
          tags,
          summary: 'Updates the security role named by Id',
          description: `${versionNote} v2 replaces the complete Permissions and Claims lists; v1 leaves out lists it does not send.`,
          body: RoleUpdateRequest,
          response: { 200: VersionedRoleResponse },
        },
        config: { access: modifyAccess },
      },
      async (request) =>
        toVersionedRole(
          request.apiVersion,
          await service.update(actorOf(request), request.body.Id, toDraft(request.apiVersion, request.body)),
        ),
    );

    app.delete(
      '/KeyfactorAPI/Security/Roles/:id',
      {
        schema: {
          tags,
          summary: 'Deletes a security role',
          params: RoleIdParams,
          response: { 204: Type.Null() },
        },
        config: { access: modifyAccess },
      },
      async (request, reply) => {
        await service.remove(actorOf(request), request.params.id);
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/KeyfactorAPI/Security/Roles/:id/Permissions/PamProviders',
      {
        schema: {
          tags,
          summary: "Lists the role's per-PAM-provider permissions",
          params: RoleIdParams,
          response: { 200: PamProviderGrantResponseSchema },
        },
        config: { access: readAccess },
      },
      async (request) => toPamProviderGrants(await service.pamProviderGrants(request.params.id)),
    );

    app.put(
      '/KeyfactorAPI/Security/Roles/:id/Permissions/PamProviders',
      {
        schema: {
          tags,
          summary:
            "Replaces the role's per-PAM-provider permissions (Read, Modify); its other permissions stay",
          params: RoleIdParams,
          body: PamProviderGrantRequest,
          response: { 200: PamProviderGrantResponseSchema },
        },
        config: { access: modifyAccess },
      },
      async (request) =>
        toPamProviderGrants(
          await service.replacePamProviderGrants(
            actorOf(request),
            request.params.id,
            request.body.map((item) => ({
              providerId: item.PamProviderId,
              permissions: item.Permissions ?? [],
            })),
          ),
        ),
    );

    app.get(
      '/KeyfactorAPI/Security/Roles/:id/Permissions/Containers',
      {
        schema: {
          tags,
          summary: "Lists the role's per-container certificate store permissions",
          params: RoleIdParams,
          response: { 200: ContainerGrantResponseSchema },
        },
        config: { access: readAccess },
      },
      async (request) => toContainerGrants(await service.containerGrants(request.params.id)),
    );

    for (const [method, mode, summary] of [
      ['POST', 'add', "Adds per-container permissions (Read, Schedule, Modify) to the role's"],
      ['PUT', 'replace', "Replaces the role's per-container permissions (Read, Schedule, Modify)"],
    ] as const) {
      app.route({
        method,
        url: '/KeyfactorAPI/Security/Roles/:id/Permissions/Containers',
        schema: {
          tags,
          summary,
          params: RoleIdParams,
          body: ContainerGrantRequest,
          response: { 200: ContainerGrantResponseSchema },
        },
        config: { access: modifyAccess },
        handler: async (request) =>
          toContainerGrants(
            await service.changeContainerGrants(
              actorOf(request),
              request.params.id,
              request.body.map((item) => ({ containerId: item.ContainerId, permission: item.Permission })),
              mode,
            ),
          ),
      });
    }
  };
}
