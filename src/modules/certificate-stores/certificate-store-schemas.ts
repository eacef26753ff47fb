import Type from 'typebox';
import type { Static } from 'typebox';
import {
  BoundedArray,
  BoundedString,
  Guid,
  Int32,
  NamedIntegerEnum,
  Nullable,
  PagingQuery,
  PositiveInt32,
  SecretString,
} from '../../http/schema-helpers.js';
import { EmbeddedProviderTypeParam } from '../pam-providers/pam-provider-schemas.js';
import { storePropertyLimits } from './store-properties.js';
import { storeSecretLimits } from './store-secret-input.js';

export const storeLimits = { bulkIds: 1000, clientMachine: 512, storepath: 722 } as const;

const daysOfWeek = {
  Sunday: 0,
  Monday: 1,
  Tuesday: 2,
  Wednesday: 3,
  Thursday: 4,
  Friday: 5,
  Saturday: 6,
} as const;

const ScheduleTime = Type.Optional(Type.String({ format: 'date-time', maxLength: 64 }));

/** Keyfactor's schedule object; Strongroom keeps it with the store or container and returns it as sent. */
export const KeyfactorSchedule = Type.Object({
  Immediate: Type.Optional(Nullable(Type.Boolean())),
  Interval: Type.Optional(Nullable(Type.Object({ Minutes: Int32({ minimum: 1 }) }))),
  Daily: Type.Optional(Nullable(Type.Object({ Time: ScheduleTime }))),
  Weekly: Type.Optional(
    Nullable(
      Type.Object({
        Days: Type.Optional(Nullable(BoundedArray(NamedIntegerEnum(daysOfWeek), 7))),
        Time: ScheduleTime,
      }),
    ),
  ),
  Monthly: Type.Optional(
    Nullable(Type.Object({ Day: Int32({ minimum: 1, maximum: 31 }), Time: ScheduleTime })),
  ),
  ExactlyOnce: Type.Optional(Nullable(Type.Object({ Time: ScheduleTime }))),
});
export type KeyfactorSchedule = Static<typeof KeyfactorSchedule>;

const echoedField = (description: string) => Type.Optional(Type.Unknown({ description }));

/**
 * Keyfactor's KeyfactorAPISecret: a stored value, a PAM reference, or neither (no password). The output-only
 * names are listed so that a client sending back the object it read is recognised (and changes nothing)
 * instead of being mistaken for an empty password.
 */
export const KeyfactorApiSecretInput = Type.Object({
  SecretValue: Type.Optional(Nullable(SecretString(storeSecretLimits.valueMaxLength))),
  Parameters: Type.Optional(
    Nullable(
      Type.Record(Type.String(), Nullable(BoundedString(storeSecretLimits.parameterValueMaxLength)), {
        maxProperties: storeSecretLimits.parameterCount,
        description:
          'Instance-level parameters of the PAM provider, by name (a local provider takes SecretName)',
      }),
    ),
  ),
  Provider: Type.Optional(Nullable(PositiveInt32('PAM provider id'))),
  SecretTypeGuid: echoedField('Ignored: read-only'),
  HasValue: echoedField('Ignored: read-only'),
  IsManaged: echoedField('Ignored: read-only'),
  InstanceGuid: echoedField('Ignored: read-only'),
});

const PamParameterValueOutput = Type.Object({
  Id: Type.Integer(),
  Value: Nullable(Type.String()),
  ParameterId: Type.Integer(),
  InstanceId: Nullable(Type.Integer()),
  InstanceGuid: Nullable(Type.String()),
  Provider: Type.Null(),
  ProviderTypeParam: EmbeddedProviderTypeParam,
});

/** Keyfactor's KeyfactorSecret: what a secret looks like on the way out. It never carries the value. */
export const KeyfactorSecretOutput = Type.Object({
  Value: Nullable(Type.String()),
  SecretTypeGuid: Type.String({ format: 'uuid' }),
  InstanceId: Nullable(Type.Integer()),
  InstanceGuid: Nullable(Type.String({ format: 'uuid' })),
  ProviderTypeParameterValues: Type.Array(PamParameterValueOutput),
  ProviderId: Nullable(Type.Integer()),
  IsManaged: Type.Boolean(),
  RemoteProviderName: Nullable(Type.String()),
  HasValue: Type.Boolean(),
});
export type KeyfactorSecretOutput = Static<typeof KeyfactorSecretOutput>;

const PropertiesText = Type.Optional(
  Nullable(
    BoundedString(storePropertyLimits.textMaxLength, {
      description:
        'A JSON object serialized as a string. Secret properties take {"value": {"SecretValue": "..."}} or {"value": {"Provider": 1, "Parameters": {...}}}',
    }),
  ),
);

/** The fields create and update both take, with the same meaning. */
const storeSettingFields = {
  CreateIfMissing: Type.Optional(Type.Boolean()),
  Properties: PropertiesText,
  AgentId: Type.Optional(Nullable(Guid())),
  AgentAssigned: Type.Optional(Type.Boolean()),
  InventorySchedule: Type.Optional(Nullable(KeyfactorSchedule)),
  Password: Type.Optional(Nullable(KeyfactorApiSecretInput)),
};
export const StoreSettings = Type.Object(storeSettingFields);
export type StoreSettings = Static<typeof StoreSettings>;

export const StoreCreateRequest = Type.Object({
  ContainerId: Type.Optional(Nullable(PositiveInt32())),
  ClientMachine: BoundedString(storeLimits.clientMachine, { minLength: 1 }),
  Storepath: BoundedString(storeLimits.storepath, { minLength: 1 }),
  CertStoreType: Int32({ minimum: -1 }),
  ...storeSettingFields,
});
export type StoreCreateRequest = Static<typeof StoreCreateRequest>;

export const StoreUpdateRequest = Type.Object({
  Id: Guid(),
  ContainerId: Type.Optional(Nullable(PositiveInt32())),
  // Not part of Keyfactor's update schema, but its clients send them; a changed value is refused.
  ClientMachine: Type.Optional(Nullable(BoundedString(storeLimits.clientMachine))),
  Storepath: Type.Optional(Nullable(BoundedString(storeLimits.storepath))),
  CertStoreType: Type.Optional(Nullable(Int32({ minimum: -1 }))),
  ...storeSettingFields,
});
export type StoreUpdateRequest = Static<typeof StoreUpdateRequest>;

export const StoreResponse = Type.Object({
  Id: Type.String({ format: 'uuid' }),
  ContainerId: Nullable(Type.Integer()),
  DisplayName: Nullable(Type.String()),
  ClientMachine: Nullable(Type.String()),
  Storepath: Nullable(Type.String()),
  CertStoreInventoryJobId: Nullable(Type.String()),
  CertStoreType: Type.Integer(),
  Approved: Type.Boolean(),
  CreateIfMissing: Type.Boolean(),
  Properties: Nullable(Type.String()),
  AgentId: Nullable(Type.String()),
  AgentAssigned: Type.Boolean(),
  ContainerName: Nullable(Type.String()),
  InventorySchedule: Nullable(KeyfactorSchedule),
  ReenrollmentStatus: Type.Object({
    Data: Type.Boolean(),
    AgentId: Nullable(Type.String()),
    Message: Nullable(Type.String()),
    JobProperties: Nullable(Type.String()),
    CustomAliasAllowed: Type.Integer(),
    EntryParameters: Type.Array(Type.Unknown()),
  }),
  SetNewPasswordAllowed: Type.Boolean(),
  Password: KeyfactorSecretOutput,
});
export type StoreResponse = Static<typeof StoreResponse>;

export const StoreIdParams = Type.Object({ id: Guid() });

export const StoreListQuery = Type.Object(PagingQuery);
export type StoreListQuery = Static<typeof StoreListQuery>;

export const StoreIdList = BoundedArray(Guid(), storeLimits.bulkIds);

export const ContainerAssignmentRequest = Type.Object({
  CertStoreContainerId: Type.Optional(Nullable(Int32({ minimum: 0 }))),
  NewContainerName: Type.Optional(Nullable(BoundedString(128))),
  NewContainerType: Type.Optional(Nullable(Int32({ minimum: -1 }))),
  KeystoreIds: StoreIdList,
});
export type ContainerAssignmentRequest = Static<typeof ContainerAssignmentRequest>;

export const StorePasswordRequest = Type.Object({
  CertStoreId: Guid('The certificate store'),
  NewPassword: KeyfactorApiSecretInput,
});
export type StorePasswordRequest = Static<typeof StorePasswordRequest>;

export const PasswordResolution = Type.Object({ Password: Nullable(Type.String()) });
export const PropertyResolution = Type.Object({ Name: Type.String(), Value: Nullable(Type.String()) });
export const StorePropertyParams = Type.Object({ id: Guid(), name: BoundedString(256, { minLength: 1 }) });
