import Type from 'typebox';
import type { RouteRegistrar } from '../../http/app.js';
import { actorOf, authenticatedAccess, requirePermission } from '../../http/route-access.js';
import { legacyGranularPermissions, legacyPermissionsGranted } from './legacy-permissions.js';
import { permissionCatalog } from './permission-catalog.js';
import type { PermissionSet, PermissionSetService } from './permission-set-service.js';
import type { RoleService } from './role-service.js';
import type { PermissionSetResponse } from './role-schemas.js';
import {
  MyPermissionsResponse,
  MyResponse,
  PermissionSetCreateRequest,
  PermissionSetIdParams,
  PermissionSetResponse as PermissionSetResponseSchema,
  PermissionSetUpdateRequest,
} from './role-schemas.js';

const toPermissionSet = (set: PermissionSet): PermissionSetResponse => ({
  Id: set.id,
  Name: set.name,
  Permissions: [...set.permissions],
});

const readAccess = requirePermission('/security/read/');
const modifyAccess = requirePermission('/security/modify/');

/** The permission catalogue, permission sets, and what the caller may do. */
export function permissionRoutes(service: RoleService, permissionSets: PermissionSetService): RouteRegistrar {
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
        config: { access: readAccess },
      },
      async () => (await permissionSets.list()).map(toPermissionSet),
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
        config: { access: readAccess },
      },
      async (request) => toPermissionSet(await permissionSets.get(request.params.id)),
    );

    app.post(
      '/KeyfactorAPI/PermissionSets',
      {
        schema: {
          tags: ['Permission Sets'],
          summary: 'Creates a permission set',
          description:
            'Permissions are catalogue strings (see /Permissions); roles in the set may grant only what they cover. Names are unique ignoring case.',
          body: PermissionSetCreateRequest,
          response: { 200: PermissionSetResponseSchema },
        },
        config: { access: modifyAccess },
      },
      async (request) =>
        toPermissionSet(
          await permissionSets.create(actorOf(request), {
            name: request.body.Name,
            permissions: request.body.Permissions,
          }),
        ),
    );

    app.put(
      '/KeyfactorAPI/PermissionSets',
      {
        schema: {
          tags: ['Permission Sets'],
          summary: 'Replaces the permissions (and optionally the name) of a permission set',
          description:
            'Refused (409) for the built-in Global set and when a role in the set grants a permission the new list does not cover.',
          body: PermissionSetUpdateRequest,
          response: { 200: PermissionSetResponseSchema },
        },
        config: { access: modifyAccess },
      },
      async (request) =>
        toPermissionSet(
          await permissionSets.update(actorOf(request), request.body.Id, {
            name: request.body.Name,
            permissions: request.body.Permissions,
          }),
        ),
    );

    app.delete(
      '/KeyfactorAPI/PermissionSets/:id',
      {
        schema: {
          tags: ['Permission Sets'],
          summary: 'Deletes a permission set no role or identity provider uses',
          params: PermissionSetIdParams,
          response: { 204: Type.Null() },
        },
        config: { access: modifyAccess },
      },
      async (request, reply) => {
        await permissionSets.remove(actorOf(request), request.params.id);
        return reply.status(204).send(null);
      },
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
