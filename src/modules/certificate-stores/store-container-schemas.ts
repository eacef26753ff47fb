import Type from 'typebox';
import type { Static } from 'typebox';
import { BoundedString, Int32, Nullable, PagingQuery, PositiveInt32 } from '../../http/schema-helpers.js';
import { KeyfactorSchedule, StoreResponse } from './certificate-store-schemas.js';

const containerFields = {
  Name: BoundedString(128, { minLength: 1 }),
  OverwriteSchedules: Type.Optional(Type.Boolean()),
  Schedule: Type.Optional(Nullable(KeyfactorSchedule)),
  CertStoreType: Type.Optional(
    Int32({
      minimum: -1,
      description:
        'Older clients only: the store type this container holds. Without it, the container takes the type of the first store placed in it.',
    }),
  ),
};

export const ContainerCreateRequest = Type.Object({
  Id: Type.Optional(Int32({ description: 'Ignored: the server assigns it' })),
  ...containerFields,
});
export type ContainerCreateRequest = Static<typeof ContainerCreateRequest>;

export const ContainerUpdateRequest = Type.Object({ Id: PositiveInt32(), ...containerFields });
export type ContainerUpdateRequest = Static<typeof ContainerUpdateRequest>;

export const ContainerListItem = Type.Object({
  Id: Type.Integer(),
  Name: Nullable(Type.String()),
  OverwriteSchedules: Type.Boolean(),
  Schedule: Nullable(Type.String({ description: 'The schedule as JSON text' })),
  StoreCount: Nullable(Type.Integer()),
});
export type ContainerListItem = Static<typeof ContainerListItem>;

export const ContainerResponse = Type.Object({
  Id: Type.Integer(),
  Name: Nullable(Type.String()),
  Schedule: Nullable(KeyfactorSchedule),
  CertificateStores: Type.Array(StoreResponse),
});
export type ContainerResponse = Static<typeof ContainerResponse>;

export const ContainerIdParams = Type.Object({ id: PositiveInt32() });

export const ContainerListQuery = Type.Object(PagingQuery);
