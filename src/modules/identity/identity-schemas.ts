import Type from 'typebox';
import type { Static } from 'typebox';
import { BoundedArray, BoundedString, Guid, Nullable, PagingQuery } from '../../http/schema-helpers.js';

const ClientId = Type.String({
  minLength: 1,
  maxLength: 128,
  pattern: '^[A-Za-z0-9._~-]+$',
  description: 'Letters, digits and . _ ~ - (so it needs no escaping in a Basic header)',
});

export const OAuthClientCreateRequest = Type.Object({
  ClientId,
  Description: Type.Optional(BoundedString(512)),
});
export type OAuthClientCreateRequest = Static<typeof OAuthClientCreateRequest>;

export const OAuthClientUpdateRequest = Type.Object({
  Description: Type.Optional(BoundedString(512)),
  Enabled: Type.Optional(Type.Boolean()),
});
export type OAuthClientUpdateRequest = Static<typeof OAuthClientUpdateRequest>;

export const OAuthClientResponse = Type.Object({
  ClientId: Type.String(),
  Description: Type.String(),
  Enabled: Type.Boolean(),
  CreatedAt: Type.String({ format: 'date-time' }),
  UpdatedAt: Type.String({ format: 'date-time' }),
});
export type OAuthClientResponse = Static<typeof OAuthClientResponse>;

/** The answer to creating a client or rotating its secret: the only time the secret is ever shown. */
export const OAuthClientSecretResponse = Type.Object({
  ...OAuthClientResponse.properties,
  ClientSecret: Type.String({ description: 'Shown this once; store it now. Only a hash is kept.' }),
});
export type OAuthClientSecretResponse = Static<typeof OAuthClientSecretResponse>;

export const ClientIdParams = Type.Object({ clientId: BoundedString(128, { minLength: 1 }) });

/** RFC 6749 section 5.1. */
export const TokenSuccessResponse = Type.Object({
  access_token: Type.String(),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer(),
  scope: Type.Optional(Type.String()),
});

/** RFC 6749 section 5.2: not Keyfactor's error body, because OAuth libraries read these fields. */
export const TokenErrorResponse = Type.Object({
  error: Type.String(),
  error_description: Type.String(),
});

/** Discovery documents and key sets are open-ended JSON; their members are written as they are. */
export const OpenJsonObject = Type.Object({}, { additionalProperties: true });
export const KeySetResponse = Type.Object({ keys: Type.Array(OpenJsonObject) });

export const SigningKeyRotationResponse = Type.Object({
  KeyId: Type.String({ description: 'The key new tokens are signed with' }),
  RetiredKeyIds: Type.Array(Type.String(), {
    description: 'Keys no longer used to sign, still published until their tokens expire',
  }),
});

const ProviderParameterRequest = Type.Object({
  Name: BoundedString(128, { minLength: 1 }),
  Value: BoundedString(2048),
  DisplayName: Type.Optional(Nullable(BoundedString(128))),
  DataType: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 100 }))),
});

export const IdentityProviderRequest = Type.Object({
  AuthenticationScheme: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._-]+$' }),
  DisplayName: BoundedString(256, { minLength: 1 }),
  ProviderType: Type.Optional(BoundedString(64, { description: 'Generic (OpenID Connect), the default' })),
  AuthenticationEnabled: Type.Optional(Type.Boolean({ default: true })),
  PermissionSetId: Type.Optional(Nullable(Guid('Defaults to the Global permission set'))),
  Parameters: BoundedArray(ProviderParameterRequest, 20),
});
export type IdentityProviderRequest = Static<typeof IdentityProviderRequest>;

export const IdentityProviderResponse = Type.Object({
  Id: Type.String({ format: 'uuid' }),
  AuthenticationScheme: Type.String(),
  DisplayName: Type.String(),
  ProviderType: Type.String(),
  AuthenticationEnabled: Type.Boolean(),
  PermissionSetId: Type.String({ format: 'uuid' }),
  Parameters: Type.Array(
    Type.Object({
      Name: Type.String(),
      DisplayName: Type.String(),
      DataType: Type.Integer({ description: '1 = String' }),
      Value: Type.String(),
    }),
  ),
});
export type IdentityProviderResponse = Static<typeof IdentityProviderResponse>;

export const IdentityProviderIdParams = Type.Object({ id: Guid('The identity provider id') });
export const IdentityProviderListQuery = Type.Object(PagingQuery);
