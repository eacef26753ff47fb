import Type from 'typebox';
import type { RouteRegistrar } from '../../http/app.js';
import { actorOf, authenticatedAccess, requirePermission } from '../../http/route-access.js';
import { legacyGranularPermissions, legacyPermissionsGranted } from './legacy-permissions.js';
import { permissionCatalog } from './permission-catalog.js';
import type { PermissionSetResponse } from './role-schemas.js';
import {
  MyPermissionsResponse,
  MyResponse,
  PermissionSetIdParams,
  PermissionSetResponse as PermissionSetResponseSchema,
} from './role-schemas.js';
import type { PermissionSet, RoleService } from './role-service.js';

const toPermissionSet = (set: PermissionSet): PermissionSetResponse => ({
  Id: set.id,
  Name: set.name,
  Permissions: [...set.permissions],
});

/** The permission catalogue, permission sets, and what the caller may do. */
export function permissionRoutes(service: RoleService): RouteRegistrar {
  return (app) => {
    app.get(
      '/KeyfactorAPI/Permissions',
      {
        schema: {
          tags: ['Permissions'],
          summary: 'Lists every access-control string a role may grant',
          response: { 200: Type.Array(Type.String()) },
        },
        config: { access: authenticatedAccess },
      },
      async () => [...permissionCatalog],
    );

    app.get(
      '/KeyfactorAPI/PermissionSets',
      {
        schema: {
          tags: ['Permission Sets'],
          summary: 'Lists permission sets; the Global set holds every permission',
          response: { 200: Type.Array(PermissionSetResponseSchema) },
        },
        config: { access: requirePermission('/security/read/') },
      },
      async () => (await service.permissionSets()).map(toPermissionSet),
    );

    app.get(
      '/KeyfactorAPI/PermissionSets/:id',
      {
        schema: {
          tags: ['Permission Sets'],
          summary: 'Gets one permission set',
          params: PermissionSetIdParams,
          response: { 200: PermissionSetResponseSchema },
        },
        config: { access: requirePermission('/security/read/') },
      },
      async (request) => toPermissionSet(await service.permissionSet(request.params.id)),
    );

    app.get(
      '/KeyfactorAPI/Security/My',
      {
        schema: {
          tags: ['Security'],
          summary: "The caller's roles and permissions in Keyfactor's v1 terms (Area and Permission)",
          description:
            'GlobalPermissions lists the v1 permissions the caller holds across the board, GranularPermissions those held for one object (SecurableId). The access-control strings are at /Security/My/Permissions.',
          response: { 200: MyResponse },
        },
        config: { access: authenticatedAccess },
      },
      async (request) => {
        const actor = actorOf(request);
        return {
          Roles: await service.rolesOf(actor),
          GlobalPermissions: legacyPermissionsGranted(actor.permissions.grants).map((entry) => ({
            Area: entry.area,
            Permission: entry.permission,
          })),
          GranularPermissions: legacyGranularPermissions(actor.permissions.grants).map((entry) => ({
            Area: entry.area,
            Permission: entry.permission,
            SecurableId: entry.securableId,
          })),
        };
      },
    );

    app.get(
      '/KeyfactorAPI/Security/My/Permissions',
      {
        schema: {
          tags: ['Security'],
          summary: "The caller's access-control strings, including those implied (modify implies read)",
          response: { 200: MyPermissionsResponse },
        },
        config: { access: authenticatedAccess },
      },
      async (request) => ({ Permissions: [...actorOf(request).permissions.grants] }),
    );
  };
}
