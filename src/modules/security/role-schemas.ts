import Type from 'typebox';
import type { Static } from 'typebox';
import {
  BoundedArray,
  BoundedString,
  Guid,
  NamedIntegerEnum,
  Nullable,
  PagingQuery,
  PositiveInt32,
} from '../../http/schema-helpers.js';
import { permissionMaxLength } from './permission-catalog.js';

/**
 * Keyfactor's ClaimType numbers. The contract marks the mapping uncertain; this is the one public automation
 * against Command uses. Keyfactor's OpenAPI gives only the range 0-6, and its "POST Security Claims" pages
 * name the types without numbers, so nothing published contradicts it (docs/oauth.md). Requests may send
 * the number or the name; responses carry the name.
 */
export const claimTypeNumbers = {
  User: 0,
  Group: 1,
  Computer: 2,
  OAuthOid: 3,
  OAuthRole: 4,
  OAuthSubject: 5,
  OAuthClientId: 6,
} as const;

export type ClaimTypeName = keyof typeof claimTypeNumbers;

export const claimTypeNames = Object.keys(claimTypeNumbers) as ClaimTypeName[];

export function claimTypeName(claimType: number): ClaimTypeName {
  const name = claimTypeNames.find((candidate) => claimTypeNumbers[candidate] === claimType);
  // The schema admits only the numbers above, so anything else is a programming error.
  if (name === undefined) throw new Error(`ClaimType ${claimType} is not defined`);
  return name;
}

export const maxPermissionsPerRole = 1000;
export const maxClaimsPerRole = 200;
const maxObjectGrants = 1000;

const PermissionStrings = Nullable(BoundedArray(BoundedString(permissionMaxLength), maxPermissionsPerRole));

export const ClaimRequest = Type.Object({
  ClaimType: NamedIntegerEnum(
    claimTypeNumbers,
    'User, Group, Computer, OAuthOid, OAuthRole, OAuthSubject or OAuthClientId (0-6)',
  ),
  ClaimValue: BoundedString(512, { minLength: 1 }),
  ProviderAuthenticationScheme: BoundedString(512),
  Description: BoundedString(512),
});

const LegacyIdentity = Type.Object({
  AccountName: BoundedString(512, { minLength: 1 }),
  SID: Type.Optional(Nullable(BoundedString(256))),
});

/**
 * One body schema serves both API versions, because Fastify validates a route with one schema: v2's
 * `Claims` and v1's `Identities`, `Enabled` and `Private` are all accepted, and each version reads its own.
 * What differs in what is required (v2 needs `PermissionSetId`) is checked when the body is mapped.
 */
const roleWriteProperties = {
  Name: BoundedString(128, { minLength: 1 }),
  Description: BoundedString(512),
  EmailAddress: Type.Optional(Nullable(BoundedString(256))),
  PermissionSetId: Type.Optional(Guid()),
  Permissions: Type.Optional(PermissionStrings),
  Claims: Type.Optional(Nullable(BoundedArray(ClaimRequest, maxClaimsPerRole))),
  Identities: Type.Optional(Nullable(BoundedArray(LegacyIdentity, maxClaimsPerRole))),
  Enabled: Type.Optional(Type.Boolean()),
  Private: Type.Optional(Type.Boolean()),
};

export const RoleCreateRequest = Type.Object(roleWriteProperties);
export type RoleCreateRequest = Static<typeof RoleCreateRequest>;

export const RoleUpdateRequest = Type.Object({ Id: PositiveInt32(), ...roleWriteProperties });
export type RoleUpdateRequest = Static<typeof RoleUpdateRequest>;

const ClaimProviderResponse = Type.Object({
  Id: Type.String({ format: 'uuid' }),
  AuthenticationScheme: Type.String(),
  DisplayName: Type.String(),
});

export const ClaimResponse = Type.Object({
  Id: Type.Integer(),
  Description: Type.String(),
  ClaimType: Type.String({ description: 'The claim type by name, e.g. User or Group' }),
  ClaimValue: Type.String(),
  Provider: ClaimProviderResponse,
});

/** v2 `SecurityRoleResponse`. */
export const RoleResponse = Type.Object({
  Id: Type.Integer(),
  Name: Type.String(),
  Description: Type.String(),
  EmailAddress: Nullable(Type.String()),
  Immutable: Type.Boolean(),
  PermissionSetId: Type.String({ format: 'uuid' }),
  Permissions: Type.Array(Type.String()),
  Claims: Type.Array(ClaimResponse),
});
export type RoleResponse = Static<typeof RoleResponse>;

/** v2 `SecurityRoleQueryResponse`: the list shape. */
export const RoleSummaryResponse = Type.Object({
  Id: Type.Integer(),
  Name: Type.String(),
  EmailAddress: Nullable(Type.String()),
  Immutable: Type.Boolean(),
  PermissionSetId: Type.String({ format: 'uuid' }),
  ClaimsCount: Type.Integer(),
});
export type RoleSummaryResponse = Static<typeof RoleSummaryResponse>;

const LegacyIdentityResponse = Type.Object({
  Id: Type.Integer(),
  AccountName: Type.String(),
  IdentityType: Type.String(),
  Valid: Type.Boolean(),
  SID: Type.Null(),
});

/** v1 (legacy) `SecurityRoleResponse`, for clients that send no version header. */
export const LegacyRoleResponse = Type.Object({
  Id: Type.Integer(),
  Name: Type.String(),
  Description: Type.String(),
  EmailAddress: Nullable(Type.String()),
  Enabled: Type.Boolean(),
  Immutable: Type.Boolean(),
  Valid: Type.Boolean(),
  Private: Type.Boolean(),
  PermissionSetId: Type.String({ format: 'uuid' }),
  Identities: Type.Array(LegacyIdentityResponse),
  Permissions: Type.Array(Type.String({ description: 'Area:Permission' })),
});
export type LegacyRoleResponse = Static<typeof LegacyRoleResponse>;

/**
 * Responses of routes served in both versions. Each shape has properties the other lacks and all are required,
 * so the serializer picks the right one; the union also documents both in the OpenAPI document.
 */
export const VersionedRoleResponse = Type.Union([RoleResponse, LegacyRoleResponse]);
export const VersionedRoleListResponse = Type.Union([
  Type.Array(RoleSummaryResponse),
  Type.Array(LegacyRoleResponse),
]);

export const RoleListQuery = Type.Object({
  ...PagingQuery,
  Validate: Type.Optional(Type.Boolean({ description: 'v1 only; every Strongroom identity is valid' })),
});
export type RoleListQuery = Static<typeof RoleListQuery>;

export const RoleIdParams = Type.Object({ id: PositiveInt32('The role id') });

export const PamProviderGrantRequest = BoundedArray(
  Type.Object({
    PamProviderId: PositiveInt32(),
    Permissions: Type.Optional(Nullable(BoundedArray(BoundedString(64), 10))),
  }),
  maxObjectGrants,
);
export type PamProviderGrantRequest = Static<typeof PamProviderGrantRequest>;

export const PamProviderGrantResponse = Type.Array(
  Type.Object({
    PamProviderId: Type.Integer(),
    Name: Nullable(Type.String()),
    Permissions: Type.Array(Type.String({ description: 'Read or Modify' })),
  }),
);
export type PamProviderGrantResponse = Static<typeof PamProviderGrantResponse>;

export const ContainerGrantRequest = BoundedArray(
  Type.Object({ ContainerId: PositiveInt32(), Permission: BoundedString(64) }),
  maxObjectGrants,
);
export type ContainerGrantRequest = Static<typeof ContainerGrantRequest>;

export const ContainerGrantResponse = Type.Array(
  Type.Object({
    ContainerId: Type.Integer(),
    Name: Nullable(Type.String()),
    Permission: Type.String({ description: 'Read, Schedule or Modify' }),
  }),
);
export type ContainerGrantResponse = Static<typeof ContainerGrantResponse>;

export const PermissionSetResponse = Type.Object({
  Id: Type.String({ format: 'uuid' }),
  Name: Type.String(),
  Permissions: Type.Array(Type.String()),
});
export type PermissionSetResponse = Static<typeof PermissionSetResponse>;

export const PermissionSetIdParams = Type.Object({ id: Guid('The permission set id') });

const permissionSetWriteProperties = {
  Permissions: BoundedArray(BoundedString(permissionMaxLength), maxPermissionsPerRole),
};

/** Keyfactor's `POST /PermissionSets` body: both fields required. */
export const PermissionSetCreateRequest = Type.Object({
  Name: BoundedString(128, { minLength: 1 }),
  ...permissionSetWriteProperties,
});

/** Keyfactor's `PUT /PermissionSets` body: Id and Permissions required; a missing Name keeps the current one. */
export const PermissionSetUpdateRequest = Type.Object({
  Id: Guid('The permission set id'),
  Name: Type.Optional(BoundedString(128, { minLength: 1 })),
  ...permissionSetWriteProperties,
});

export const LegacyPermissionResponse = Type.Object({ Area: Type.String(), Permission: Type.String() });

/** `GET /Security/My`: Keyfactor's `SecurityMyResponse`. */
export const MyResponse = Type.Object({
  Roles: Type.Array(Type.String()),
  GlobalPermissions: Type.Array(LegacyPermissionResponse),
  GranularPermissions: Type.Array(
    Type.Object({ Area: Type.String(), Permission: Type.String(), SecurableId: Type.Integer() }),
  ),
});
export type MyResponse = Static<typeof MyResponse>;

/** `GET /Security/My/Permissions`: the caller's access-control strings. */
export const MyPermissionsResponse = Type.Object({ Permissions: Type.Array(Type.String()) });
