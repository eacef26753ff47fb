import Type from 'typebox';
import type { Static } from 'typebox';
import { BoundedArray, BoundedString, PagingQuery, PositiveInt32 } from '../../http/schema-helpers.js';
import { ClaimRequest, LegacyRoleResponse, RoleListQuery } from './role-schemas.js';

export const ClaimIdParams = Type.Object({ id: PositiveInt32('The claim id') });
export const IdentityIdParams = Type.Object({ id: PositiveInt32('The identity id') });

export const ClaimListQuery = Type.Object(PagingQuery);
export type ClaimListQuery = Static<typeof ClaimListQuery>;
export const IdentityListQuery = RoleListQuery;

/** `RoleClaimDefinitionCreationRequest`: the same four fields a v2 role's claim has. */
export const ClaimCreateRequest = ClaimRequest;
export type ClaimCreateRequest = Static<typeof ClaimCreateRequest>;

/** `RoleClaimDefinitionUpdateRequest`: only the description of a claim can change; the rest is its identity. */
export const ClaimUpdateRequest = Type.Object({ Id: PositiveInt32(), Description: BoundedString(512) });
export type ClaimUpdateRequest = Static<typeof ClaimUpdateRequest>;

export const ClaimRolesQuery = Type.Object({
  ClaimType: ClaimRequest.properties.ClaimType,
  ClaimValue: ClaimRequest.properties.ClaimValue,
  ProviderAuthenticationScheme: ClaimRequest.properties.ProviderAuthenticationScheme,
});
export type ClaimRolesQuery = Static<typeof ClaimRolesQuery>;

/** `SecurityRoleForClaimResponse`. */
export const ClaimRoleResponse = Type.Object({
  Id: Type.Integer(),
  Name: Type.String(),
  Description: Type.String(),
  PermissionSetId: Type.String({ format: 'uuid' }),
});

export const IdentityCreateRequest = Type.Object({ AccountName: BoundedString(512, { minLength: 1 }) });
export type IdentityCreateRequest = Static<typeof IdentityCreateRequest>;

/** The legacy `SecurityIdentityResponse`. */
export const IdentityResponse = Type.Object({
  Id: Type.Integer(),
  AccountName: Type.String(),
  IdentityType: Type.String({ description: 'User or Group' }),
  Roles: Type.Array(LegacyRoleResponse),
  Valid: Type.Boolean(),
  SID: Type.Null(),
});
export type IdentityResponse = Static<typeof IdentityResponse>;

const PermissionRoles = Type.Array(
  Type.Object({ Permission: Type.String(), GrantedByRoles: Type.Array(Type.String()) }),
);

/** `SecurityIdentityPermissionsResponse`: what an identity may do, and which roles grant each. */
export const IdentityPermissionsResponse = Type.Object({
  Identity: Type.String(),
  SecuredAreaPermissions: PermissionRoles,
  CollectionPermissions: PermissionRoles,
  ContainerPermissions: PermissionRoles,
  PamProviderPermissions: PermissionRoles,
});

export const IdentityLookupQuery = Type.Object({ accountName: BoundedString(512, { minLength: 1 }) });
export const IdentityLookupResponse = Type.Object({ Valid: Type.Boolean() });

export const RoleIdentitiesRequest = Type.Object({ Ids: BoundedArray(PositiveInt32(), 200) });
export type RoleIdentitiesRequest = Static<typeof RoleIdentitiesRequest>;
export const RoleIdentitiesResponse = Type.Array(Type.Object({ Id: Type.Integer(), Name: Type.String() }));

export const GlobalPermissionRequest = BoundedArray(
  Type.Object({
    Area: BoundedString(128, { minLength: 1 }),
    Permission: BoundedString(64, { minLength: 1 }),
  }),
  100,
);
export type GlobalPermissionRequest = Static<typeof GlobalPermissionRequest>;

/** `AreaPermissionResponse`: Type is Global, or Container / PamProvider for a grant on one object. */
export const AreaPermissionResponse = Type.Array(
  Type.Object({ Type: Type.String(), Area: Type.String(), Permission: Type.String() }),
);

export const RoleCopyRequest = Type.Object({
  Name: BoundedString(128, { minLength: 1 }),
  Description: BoundedString(512),
  EmailAddress: Type.Optional(Type.Union([BoundedString(256), Type.Null()])),
});
export type RoleCopyRequest = Static<typeof RoleCopyRequest>;

/** `CertificateStoreContainerPermissions`: a role's grants on one container. */
export const ContainerRolesResponse = Type.Array(
  Type.Object({
    SecurityRoleId: Type.Integer(),
    Name: Type.String(),
    Permissions: Type.Array(Type.String({ description: 'Read, Schedule or Modify' })),
  }),
);
