import Type from 'typebox';
import type { Static } from 'typebox';
import { BoundedArray, BoundedString, Guid, NamedIntegerEnum, Nullable } from '../../http/schema-helpers.js';

export const nameMaxLength = 256;
export const displayNameMaxLength = 400;

/** Keyfactor's PamParameterDataType: numbers on the wire, names accepted on input. */
const PamParameterDataType = NamedIntegerEnum({ String: 1, Secret: 2 }, '1 = string, 2 = secret');

const ProviderTypeParameterCreateRequest = Type.Object({
  Name: BoundedString(nameMaxLength, { minLength: 1 }),
  DisplayName: Type.Optional(Nullable(BoundedString(displayNameMaxLength))),
  DataType: Type.Optional(PamParameterDataType),
  InstanceLevel: Type.Optional(Type.Boolean()),
});

export const ProviderTypeCreateRequest = Type.Object({
  Name: BoundedString(nameMaxLength, { minLength: 1 }),
  Parameters: Type.Optional(Nullable(BoundedArray(ProviderTypeParameterCreateRequest, 100))),
});

export const ProviderTypeParameterResponse = Type.Object({
  Id: Type.Integer(),
  Name: Nullable(Type.String()),
  DisplayName: Nullable(Type.String()),
  DataType: Type.Integer(),
  InstanceLevel: Type.Boolean(),
});

export const ProviderTypeResponse = Type.Object({
  Id: Type.String({ format: 'uuid' }),
  Name: Nullable(Type.String()),
  Parameters: Nullable(Type.Array(ProviderTypeParameterResponse)),
});
export type ProviderTypeResponse = Static<typeof ProviderTypeResponse>;

export const ProviderTypeIdParams = Type.Object({ id: Guid('The provider type GUID') });

/**
 * `GET /PamProviders/Types/{id}` means two things: in v2 the id is a PAM provider's integer id, and
 * Keyfactor's Go client calls it in v1 with a type GUID. The route tells them apart by API version.
 */
export const ProviderTypeLookupParams = Type.Object({
  id: BoundedString(64, { minLength: 1, description: 'v2: a PAM provider id; v1: a provider type GUID' }),
});
