import Type from 'typebox';
import type { Static } from 'typebox';
import { BoundedArray, BoundedString, Guid, Int32, Nullable } from '../../http/schema-helpers.js';
import {
  displayNameMaxLength,
  nameMaxLength,
  ProviderTypeParameterResponse,
} from './pam-provider-type-schemas.js';

const providerNameMaxLength = 400;
/** Long enough for a PEM certificate or a cloud token, the largest values extensions take. */
const parameterValueMaxLength = 16384;

const ProviderTypeReference = Type.Object({ Id: Guid('The provider type GUID') });

/** Clients echo the whole parameter definition; only `Id` and `Name` identify it. */
const ParameterReference = Type.Object({
  Id: Type.Optional(Int32()),
  Name: Type.Optional(Nullable(BoundedString(nameMaxLength))),
  DisplayName: Type.Optional(Nullable(BoundedString(displayNameMaxLength))),
  InstanceLevel: Type.Optional(Type.Boolean()),
});

const ParameterValueRequest = Type.Object({
  Id: Type.Optional(Int32()),
  Value: Type.Optional(Nullable(BoundedString(parameterValueMaxLength))),
  InstanceId: Type.Optional(Nullable(Int32())),
  InstanceGuid: Type.Optional(Nullable(Guid())),
  ProviderTypeParam: Type.Optional(Nullable(ParameterReference)),
});
export type ParameterValueRequest = Static<typeof ParameterValueRequest>;

const ParameterValues = Type.Optional(Nullable(BoundedArray(ParameterValueRequest, 100)));
const ProviderName = BoundedString(providerNameMaxLength, { minLength: 1 });

/** v1 and v2 create with one schema; `Area` and `SecuredAreaId` only mean something to v1 clients. */
export const ProviderCreateRequest = Type.Object({
  Name: ProviderName,
  Remote: Type.Optional(Type.Boolean()),
  Area: Type.Optional(Int32()),
  ProviderType: ProviderTypeReference,
  ProviderTypeParamValues: ParameterValues,
  SecuredAreaId: Type.Optional(Nullable(Int32())),
});

/**
 * The union of v1's ProviderUpdateRequestLegacy (which requires `ProviderType`) and v2's ProviderUpdateRequest
 * (which requires `Remote`); the service enforces what each version requires.
 */
export const ProviderUpdateRequest = Type.Object({
  Id: Int32(),
  Name: ProviderName,
  Remote: Type.Optional(Type.Boolean()),
  Area: Type.Optional(Int32()),
  ProviderType: Type.Optional(ProviderTypeReference),
  ProviderTypeParamValues: ParameterValues,
  SecuredAreaId: Type.Optional(Nullable(Int32())),
});

/**
 * A provider type parameter as Keyfactor embeds it in a provider or a store secret: the parameter as the
 * types API returns it, plus a back-link to the type that is always null.
 */
export const EmbeddedProviderTypeParam = Type.Object({
  ...ProviderTypeParameterResponse.properties,
  ProviderType: Type.Null(),
});

/** As Keyfactor embeds a type in a provider: the list is `ProviderTypeParams`, each with a null back-link. */
const EmbeddedProviderType = Type.Object({
  Id: Type.String({ format: 'uuid' }),
  Name: Nullable(Type.String()),
  ProviderTypeParams: Nullable(Type.Array(EmbeddedProviderTypeParam)),
});

const ParameterValueResponse = Type.Object({
  Id: Type.Integer(),
  Value: Nullable(Type.String()),
  InstanceId: Nullable(Type.Integer()),
  InstanceGuid: Nullable(Type.String({ format: 'uuid' })),
  ProviderTypeParam: ProviderTypeParameterResponse,
});

/** v1: Keyfactor's ProviderResponseLegacy. */
export const ProviderResponseV1 = Type.Object({
  Id: Type.Integer(),
  Name: Nullable(Type.String()),
  Area: Type.Integer(),
  ProviderType: EmbeddedProviderType,
  ProviderTypeParamValues: Nullable(Type.Array(ParameterValueResponse)),
  SecuredAreaId: Nullable(Type.Integer()),
  Remote: Type.Boolean(),
});
export type ProviderResponseV1 = Static<typeof ProviderResponseV1>;

/** v2: Keyfactor's ProviderResponse, which drops the legacy `Area` and `SecuredAreaId`. */
export const ProviderResponseV2 = Type.Object({
  Id: Type.Integer(),
  Name: Nullable(Type.String()),
  ProviderType: EmbeddedProviderType,
  ProviderTypeParamValues: Nullable(Type.Array(ParameterValueResponse)),
  Remote: Type.Boolean(),
});
export type ProviderResponseV2 = Static<typeof ProviderResponseV2>;

/**
 * One route serves both versions. The serializer tries v1 first, which needs `Area`, so a v2 body (which has
 * none) falls through to v2; each keeps Keyfactor's field order.
 */
export const ProviderResponse = Type.Union([ProviderResponseV1, ProviderResponseV2]);

export const ProviderReadParams = Type.Object({ id: Int32({ minimum: 0 }) });
export const ProviderDeleteParams = Type.Object({ id: Int32() });
