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
} from '../../http/schema-helpers.js';
import {
  certificateFormats,
  customAliasOptions,
  passwordStyles,
  privateKeyOptions,
  storePropertyTypes,
} from './store-type-model.js';

export const storeTypeLimits = { properties: 100, entryParameters: 100 } as const;

const OptionalBoolean = Type.Optional(Type.Boolean());
const OptionalText = (maxLength: number) => Type.Optional(Nullable(BoundedString(maxLength)));
// Keyfactor publishes these validation enums as 0-2 without names.
const ValidationOption = Type.Optional(Nullable(Int32({ minimum: 0, maximum: 2 })));

const SupportedOperationsInput = Type.Object({
  Add: OptionalBoolean,
  Create: OptionalBoolean,
  Discovery: OptionalBoolean,
  Enrollment: OptionalBoolean,
  Remove: OptionalBoolean,
});

const StoreTypePropertyInput = Type.Object({
  Id: Type.Optional(Int32()),
  StoreTypeId: Type.Optional(Int32()),
  Name: BoundedString(256, { minLength: 1 }),
  DisplayName: OptionalText(256),
  Type: Type.Optional(
    NamedIntegerEnum(storePropertyTypes, 'String (0), Bool (1), MultipleChoice (2), Secret (3)'),
  ),
  DependsOn: OptionalText(256),
  DefaultValue: OptionalText(4096),
  Required: Type.Optional(Nullable(Type.Boolean())),
  ValidationOptions: Type.Optional(Nullable(Type.Object({ OnCreation: ValidationOption }))),
});
export type StoreTypePropertyInput = Static<typeof StoreTypePropertyInput>;

const EntryParameterInput = Type.Object({
  Id: Type.Optional(Int32()),
  StoreTypeId: Type.Optional(Int32()),
  Name: BoundedString(256, { minLength: 1 }),
  DisplayName: OptionalText(256),
  Type: Type.Optional(NamedIntegerEnum(storePropertyTypes)),
  ValidationOptions: Type.Optional(
    Nullable(
      Type.Object({
        HasPrivateKey: ValidationOption,
        OnAdd: ValidationOption,
        OnRemove: ValidationOption,
        OnODKG: ValidationOption,
      }),
    ),
  ),
  DependsOn: OptionalText(256),
  DefaultValue: OptionalText(4096),
  Options: OptionalText(4096),
});
export type EntryParameterInput = Static<typeof EntryParameterInput>;

const PasswordOptionsInput = Type.Object({
  EntrySupported: OptionalBoolean,
  StoreRequired: OptionalBoolean,
  Style: Type.Optional(NamedIntegerEnum(passwordStyles, 'Default (0) or Custom (1)')),
});

const storeTypeFields = {
  Name: BoundedString(256, { minLength: 1 }),
  ShortName: BoundedString(64, { minLength: 1 }),
  Capability: OptionalText(220),
  LocalStore: OptionalBoolean,
  SupportedOperations: Type.Optional(Nullable(SupportedOperationsInput)),
  Properties: Type.Optional(Nullable(BoundedArray(StoreTypePropertyInput, storeTypeLimits.properties))),
  EntryParameters: Type.Optional(
    Nullable(BoundedArray(EntryParameterInput, storeTypeLimits.entryParameters)),
  ),
  PasswordOptions: Type.Optional(Nullable(PasswordOptionsInput)),
  StorePathType: OptionalText(1024),
  StorePathValue: OptionalText(4096),
  PrivateKeyAllowed: Type.Optional(
    NamedIntegerEnum(privateKeyOptions, 'Forbidden (0), Optional (1), Required (2)'),
  ),
  CertificateFormat: Type.Optional(NamedIntegerEnum(certificateFormats, 'PEM (1) or PFX (2)')),
  ServerRequired: OptionalBoolean,
  PowerShell: OptionalBoolean,
  BlueprintAllowed: OptionalBoolean,
  CustomAliasAllowed: Type.Optional(
    NamedIntegerEnum(customAliasOptions, 'Forbidden (0), Optional (1), Required (2)'),
  ),
  ServerRegistration: Type.Optional(Nullable(Int32())),
  InventoryEndpoint: OptionalText(1024),
};

export const StoreTypeCreateRequest = Type.Object({
  ...storeTypeFields,
  InventoryJobTypeId: Type.Optional(Guid()),
  ManagementJobTypeId: Type.Optional(Nullable(Guid())),
  DiscoveryJobTypeId: Type.Optional(Nullable(Guid())),
  EnrollmentJobTypeId: Type.Optional(Nullable(Guid())),
});
export type StoreTypeCreateRequest = Static<typeof StoreTypeCreateRequest>;

export const StoreTypeUpdateRequest = Type.Object({
  StoreType: Int32(),
  ...storeTypeFields,
});
export type StoreTypeUpdateRequest = Static<typeof StoreTypeUpdateRequest>;

const NullableString = Nullable(Type.String());

export const StoreTypePropertyResponse = Type.Object({
  Id: Type.Integer(),
  StoreTypeId: Type.Integer(),
  Name: NullableString,
  DisplayName: NullableString,
  Type: Type.Integer(),
  DependsOn: NullableString,
  DefaultValue: NullableString,
  Required: Nullable(Type.Boolean()),
  ValidationOptions: Nullable(Type.Object({ OnCreation: Nullable(Type.Integer()) })),
});

export const EntryParameterResponse = Type.Object({
  StoreTypeId: Type.Integer(),
  Name: NullableString,
  DisplayName: NullableString,
  Type: Type.Integer(),
  ValidationOptions: Nullable(
    Type.Object({
      HasPrivateKey: Nullable(Type.Integer()),
      OnAdd: Nullable(Type.Integer()),
      OnRemove: Nullable(Type.Integer()),
      OnODKG: Nullable(Type.Integer()),
    }),
  ),
  DependsOn: NullableString,
  DefaultValue: NullableString,
  Options: NullableString,
  Id: Type.Integer(),
});

export const StoreTypeResponse = Type.Object({
  Name: NullableString,
  ShortName: NullableString,
  Capability: NullableString,
  StoreType: Nullable(Type.Integer()),
  ImportType: Nullable(Type.Integer()),
  LocalStore: Type.Boolean(),
  SupportedOperations: Type.Object({
    Add: Type.Boolean(),
    Create: Type.Boolean(),
    Discovery: Type.Boolean(),
    Enrollment: Type.Boolean(),
    Remove: Type.Boolean(),
  }),
  Properties: Type.Array(StoreTypePropertyResponse),
  EntryParameters: Type.Array(EntryParameterResponse),
  PasswordOptions: Type.Object({
    EntrySupported: Type.Boolean(),
    StoreRequired: Type.Boolean(),
    Style: Type.Integer(),
  }),
  StorePathType: NullableString,
  StorePathValue: NullableString,
  PrivateKeyAllowed: Type.Integer(),
  CertificateFormat: Type.Integer(),
  JobProperties: Type.Array(Type.String()),
  ServerRequired: Type.Boolean(),
  PowerShell: Type.Boolean(),
  BlueprintAllowed: Type.Boolean(),
  CustomAliasAllowed: Type.Integer(),
  ServerRegistration: Nullable(Type.Integer()),
  InventoryEndpoint: NullableString,
  InventoryJobType: Type.String({ format: 'uuid' }),
  ManagementJobType: NullableString,
  DiscoveryJobType: NullableString,
  EnrollmentJobType: NullableString,
});
export type StoreTypeResponse = Static<typeof StoreTypeResponse>;

export const StoreTypeIdParams = Type.Object({ id: Int32({ minimum: -1 }) });
export const StoreTypeNameParams = Type.Object({ name: BoundedString(256, { minLength: 1 }) });

export const StoreTypeListQuery = Type.Object(PagingQuery);
export type StoreTypeListQuery = Static<typeof StoreTypeListQuery>;
