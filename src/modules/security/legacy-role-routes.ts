import type { RouteRegistrar } from '../../http/app.js';
import { actorOf, requirePermission } from '../../http/route-access.js';
import {
  AreaPermissionResponse,
  ContainerRolesResponse,
  GlobalPermissionRequest,
  RoleCopyRequest,
  RoleIdentitiesRequest,
  RoleIdentitiesResponse,
} from './claim-schemas.js';
import type { LegacyPermission } from './legacy-permissions.js';
import { objectPermissionName } from './legacy-permissions.js';
import type { RoleClaim } from './role-repository.js';
import { toLegacyRole } from './role-routes.js';
import { LegacyPermissionResponse, LegacyRoleResponse, RoleIdParams } from './role-schemas.js';
import type { RoleService } from './role-service.js';
import Type from 'typebox';

const tags = ['Security Roles'];
const readAccess = requirePermission('/security/read/');
const modifyAccess = requirePermission('/security/modify/');

const toIdentities = (claims: RoleClaim[]) =>
  claims.map((claim) => ({ Id: claim.id, Name: claim.claimValue }));
const toPairs = (pairs: LegacyPermission[]) =>
  pairs.map((pair) => ({ Area: pair.area, Permission: pair.permission }));

/** Keyfactor's legacy (v1) role sub-resources, all views of the one role model. */
export function legacyRoleRoutes(service: RoleService): RouteRegistrar {
  return (app) => {
    app.get(
      '/KeyfactorAPI/Security/Roles/:id/Identities',
      {
        schema: {
          tags,
          summary: "Lists the role's identities (its User and Group claims)",
          params: RoleIdParams,
          response: { 200: RoleIdentitiesResponse },
        },
        config: { access: readAccess },
      },
      async (request) => toIdentities(await service.identities(request.params.id)),
    );

    app.put(
      '/KeyfactorAPI/Security/Roles/:id/Identities',
      {
        schema: {
          tags,
          summary: "Replaces the role's identities by id; its other claims (OAuth, Computer) stay",
          params: RoleIdParams,
          body: RoleIdentitiesRequest,
          response: { 200: RoleIdentitiesResponse },
        },
        config: { access: modifyAccess },
      },
      async (request) =>
        toIdentities(await service.replaceIdentities(actorOf(request), request.params.id, request.body.Ids)),
    );

    app.get(
      '/KeyfactorAPI/Security/Roles/:id/Permissions',
      {
        schema: {
          tags,
          summary:
            'Lists every permission of the role: Global pairs, and per-object grants (Area is the container or provider id)',
          params: RoleIdParams,
          response: { 200: AreaPermissionResponse },
        },
        config: { access: readAccess },
      },
      async (request) =>
        (await service.permissionSummary(request.params.id)).map((item) => ({
          Type: item.type,
          Area: item.objectId === undefined ? item.area : String(item.objectId),
          Permission: item.permission,
        })),
    );

    app.get(
      '/KeyfactorAPI/Security/Roles/:id/Permissions/Global',
      {
        schema: {
          tags,
          summary: "Lists the role's global permissions as v1 Area and Permission pairs",
          params: RoleIdParams,
          response: { 200: Type.Array(LegacyPermissionResponse) },
        },
        config: { access: readAccess },
      },
      async (request) => toPairs(await service.globalPermissions(request.params.id)),
    );

    for (const [method, mode, summary] of [
      ['POST', 'add', 'Adds global permissions (v1 Area and Permission pairs) to the role'],
      ['PUT', 'replace', "Replaces the role's global v1 permissions; grants v1 cannot show stay"],
    ] as const) {
      app.route({
        method,
        url: '/KeyfactorAPI/Security/Roles/:id/Permissions/Global',
        schema: {
          tags,
          summary,
          params: RoleIdParams,
          body: GlobalPermissionRequest,
          response: { 200: Type.Array(LegacyPermissionResponse) },
        },
        config: { access: modifyAccess },
        handler: async (request) =>
          toPairs(
            await service.changeGlobalPermissions(
              actorOf(request),
              request.params.id,
              request.body.map((item) => ({ area: item.Area, permission: item.Permission })),
              mode,
            ),
          ),
      });
    }

    app.post(
      '/KeyfactorAPI/Security/Roles/:id/Copy',
      {
        schema: {
          tags,
          summary: 'Creates a role with the permissions, claims and permission set of this one',
          params: RoleIdParams,
          body: RoleCopyRequest,
          response: { 200: LegacyRoleResponse },
        },
        config: { access: modifyAccess },
      },
      async (request) =>
        toLegacyRole(
          await service.copy(actorOf(request), request.params.id, {
            name: request.body.Name,
            description: request.body.Description,
            emailAddress: request.body.EmailAddress,
          }),
        ),
    );

    app.get(
      '/KeyfactorAPI/Security/Containers/:id/Roles',
      {
        schema: {
          tags,
          summary: 'Lists the roles with grants on one certificate store container',
          params: Type.Object({ id: RoleIdParams.properties.id }),
          response: { 200: ContainerRolesResponse },
        },
        config: { access: readAccess },
      },
      async (request) =>
        (await service.containerRoles(request.params.id)).map(({ role, bases }) => ({
          SecurityRoleId: role.id,
          Name: role.name,
          Permissions: bases.map(objectPermissionName),
        })),
    );
  };
}
