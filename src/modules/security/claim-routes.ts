import Type from 'typebox';
import type { RouteRegistrar } from '../../http/app.js';
import { listRequestFromQuery } from '../../http/paging.js';
import { actorOf, requirePermission } from '../../http/route-access.js';
import type { ClaimService, ClaimWithRoles } from './claim-service.js';
import { identityPermissions } from './claim-service.js';
import {
  ClaimCreateRequest,
  ClaimIdParams,
  ClaimListQuery,
  ClaimRoleResponse,
  ClaimRolesQuery,
  ClaimUpdateRequest,
  IdentityCreateRequest,
  IdentityIdParams,
  IdentityListQuery,
  IdentityLookupQuery,
  IdentityLookupResponse,
  IdentityPermissionsResponse,
  IdentityResponse,
} from './claim-schemas.js';
import type { RoleClaim } from './role-repository.js';
import { identityProvider, toLegacyRole } from './role-routes.js';
import { ClaimResponse, claimTypeName } from './role-schemas.js';

const readAccess = requirePermission('/security/read/');
const modifyAccess = requirePermission('/security/modify/');
const claimTags = ['Security Claims'];
const identityTags = ['Security Identities'];

const toClaimResponse = (claim: RoleClaim) => ({
  Id: claim.id,
  Description: claim.description,
  ClaimType: claim.claimType,
  ClaimValue: claim.claimValue,
  Provider: identityProvider(claim.providerScheme),
});

const toIdentityResponse = ({ claim, roles }: ClaimWithRoles) => ({
  Id: claim.id,
  AccountName: claim.claimValue,
  IdentityType: claim.claimType,
  Roles: roles.map(toLegacyRole),
  Valid: true,
  SID: null,
});

const toPermissionRoles = (items: { permission: string; roles: string[] }[]) =>
  items.map((item) => ({ Permission: item.permission, GrantedByRoles: item.roles }));

/**
 * Keyfactor's legacy (v1) claim and identity endpoints. Both are views of the claims roles link to: an
 * identity is a User or Group claim, so a change through either is visible through the other and through
 * the roles at once.
 */
export function claimRoutes(service: ClaimService): RouteRegistrar {
  return (app) => {
    app.get(
      '/KeyfactorAPI/Security/Claims',
      {
        schema: {
          tags: claimTags,
          summary: 'Lists claims (paged; QueryString and SortField over Id, ClaimType, ClaimValue, ...)',
          querystring: ClaimListQuery,
          response: { 200: Type.Array(ClaimResponse) },
        },
        config: { access: readAccess },
      },
      async (request) =>
        (await service.list('claim', listRequestFromQuery(request.query))).map(({ claim }) =>
          toClaimResponse(claim),
        ),
    );

    app.get(
      '/KeyfactorAPI/Security/Claims/Roles',
      {
        schema: {
          tags: claimTags,
          summary: 'Lists the roles holding one claim',
          querystring: ClaimRolesQuery,
          response: { 200: Type.Array(ClaimRoleResponse) },
        },
        config: { access: readAccess },
      },
      async (request) => {
        const roles = await service.rolesFor({
          claimType: claimTypeName(request.query.ClaimType),
          claimValue: request.query.ClaimValue,
          providerScheme: request.query.ProviderAuthenticationScheme,
        });
        return roles.map((role) => ({
          Id: role.id,
          Name: role.name,
          Description: role.description,
          PermissionSetId: role.permissionSetId,
        }));
      },
    );

    app.get(
      '/KeyfactorAPI/Security/Claims/:id',
      {
        schema: {
          tags: claimTags,
          summary: 'Gets one claim',
          params: ClaimIdParams,
          response: { 200: ClaimResponse },
        },
        config: { access: readAccess },
      },
      async (request) => toClaimResponse((await service.get('claim', request.params.id)).claim),
    );

    app.post(
      '/KeyfactorAPI/Security/Claims',
      {
        schema: {
          tags: claimTags,
          summary: 'Creates a claim that roles can then hold',
          body: ClaimCreateRequest,
          response: { 200: ClaimResponse },
        },
        config: { access: modifyAccess },
      },
      async (request) =>
        toClaimResponse(
          await service.create(actorOf(request), {
            claimType: claimTypeName(request.body.ClaimType),
            claimValue: request.body.ClaimValue,
            providerScheme: request.body.ProviderAuthenticationScheme,
            description: request.body.Description,
          }),
        ),
    );

    app.put(
      '/KeyfactorAPI/Security/Claims',
      {
        schema: {
          tags: claimTags,
          summary: "Changes a claim's description (type, value and scheme are what the claim is)",
          body: ClaimUpdateRequest,
          response: { 200: ClaimResponse },
        },
        config: { access: modifyAccess },
      },
      async (request) =>
        toClaimResponse(
          await service.updateDescription(actorOf(request), request.body.Id, request.body.Description),
        ),
    );

    app.delete(
      '/KeyfactorAPI/Security/Claims/:id',
      {
        schema: {
          tags: claimTags,
          summary: 'Deletes a claim and takes it from every role holding it',
          params: ClaimIdParams,
          response: { 204: Type.Null() },
        },
        config: { access: modifyAccess },
      },
      async (request, reply) => {
        await service.remove(actorOf(request), 'claim', request.params.id);
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/KeyfactorAPI/Security/Identities',
      {
        schema: {
          tags: identityTags,
          summary:
            'Lists identities: the User and Group claims (paged; QueryString over Id, AccountName, IdentityType)',
          querystring: IdentityListQuery,
          response: { 200: Type.Array(IdentityResponse) },
        },
        config: { access: readAccess },
      },
      async (request) =>
        (await service.list('identity', listRequestFromQuery(request.query))).map(toIdentityResponse),
    );

    app.get(
      '/KeyfactorAPI/Security/Identities/Lookup',
      {
        schema: {
          tags: identityTags,
          summary: 'Whether an account or group name names a local user or one of their groups',
          querystring: IdentityLookupQuery,
          response: { 200: IdentityLookupResponse },
        },
        config: { access: readAccess },
      },
      async (request) => ({ Valid: await service.lookup(request.query.accountName) }),
    );

    app.get(
      '/KeyfactorAPI/Security/Identities/:id',
      {
        schema: {
          tags: identityTags,
          summary: "An identity's permissions, each with the roles granting it",
          params: IdentityIdParams,
          response: { 200: IdentityPermissionsResponse },
        },
        config: { access: readAccess },
      },
      async (request) => {
        const { claim, roles } = await service.get('identity', request.params.id);
        const permissions = identityPermissions(roles);
        return {
          Identity: claim.claimValue,
          SecuredAreaPermissions: toPermissionRoles(permissions.securedArea),
          CollectionPermissions: [],
          ContainerPermissions: toPermissionRoles(permissions.containers),
          PamProviderPermissions: toPermissionRoles(permissions.pamProviders),
        };
      },
    );

    app.post(
      '/KeyfactorAPI/Security/Identities',
      {
        schema: {
          tags: identityTags,
          summary: 'Creates an identity (a User claim, or a Group claim for the name of a local group)',
          body: IdentityCreateRequest,
          response: { 200: IdentityResponse },
        },
        config: { access: modifyAccess },
      },
      async (request) =>
        toIdentityResponse(await service.createIdentity(actorOf(request), request.body.AccountName)),
    );

    app.delete(
      '/KeyfactorAPI/Security/Identities/:id',
      {
        schema: {
          tags: identityTags,
          summary: 'Deletes an identity and takes it from every role holding it',
          params: IdentityIdParams,
          response: { 204: Type.Null() },
        },
        config: { access: modifyAccess },
      },
      async (request, reply) => {
        await service.remove(actorOf(request), 'identity', request.params.id);
        return reply.status(204).send(null);
      },
    );
  };
}
