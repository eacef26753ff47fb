import Type from 'typebox';
import type { RouteRegistrar } from '../../http/app.js';
import { listRequestFromQuery } from '../../http/paging.js';
import { actorOf, requirePermission } from '../../http/route-access.js';
import { BoundedArray, Int32 } from '../../http/schema-helpers.js';
import type { StoreTypeInput, StoreTypeRecord } from './store-type-model.js';
import {
  certificateFormats,
  customAliasOptions,
  passwordStyles,
  privateKeyOptions,
  storePropertyTypes,
} from './store-type-model.js';
import type {
  EntryParameterInput,
  StoreTypeCreateRequest,
  StoreTypePropertyInput,
  StoreTypeResponse,
  StoreTypeUpdateRequest,
} from './store-type-schemas.js';
import {
  StoreTypeCreateRequest as StoreTypeCreateRequestSchema,
  StoreTypeIdParams,
  StoreTypeListQuery,
  StoreTypeNameParams,
  StoreTypeResponse as StoreTypeResponseSchema,
  StoreTypeUpdateRequest as StoreTypeUpdateRequestSchema,
} from './store-type-schemas.js';
import type { StoreTypeService } from './store-type-service.js';

const tags = ['Certificate store types'];
// A caller who may read stores in any one container needs the types to make sense of them.
const readAccess = requirePermission('/certificate_stores/read/', { scoped: true });
// Types are shared by every container, so changing one is a global right.
const modifyAccess = requirePermission('/certificate_stores/modify/');

function toPropertyInput(
  property: StoreTypePropertyInput,
): StoreTypeInput['definition']['properties'][number] {
  return {
    name: property.Name,
    displayName: property.DisplayName ?? null,
    type: property.Type ?? storePropertyTypes.String,
    dependsOn: property.DependsOn ?? null,
    defaultValue: property.DefaultValue ?? null,
    required: property.Required ?? null,
    validationOnCreation: property.ValidationOptions?.OnCreation ?? null,
  };
}

function toEntryParameterInput(
  parameter: EntryParameterInput,
): StoreTypeInput['definition']['entryParameters'][number] {
  const validation = parameter.ValidationOptions;
  return {
    name: parameter.Name,
    displayName: parameter.DisplayName ?? null,
    type: parameter.Type ?? storePropertyTypes.String,
    dependsOn: parameter.DependsOn ?? null,
    defaultValue: parameter.DefaultValue ?? null,
    options: parameter.Options ?? null,
    validation:
      validation === undefined || validation === null
        ? null
        : {
            hasPrivateKey: validation.HasPrivateKey ?? null,
            onAdd: validation.OnAdd ?? null,
            onRemove: validation.OnRemove ?? null,
            onODKG: validation.OnODKG ?? null,
          },
  };
}

function toInput(body: StoreTypeCreateRequest | StoreTypeUpdateRequest): StoreTypeInput {
  const operations = body.SupportedOperations ?? {};
  const password = body.PasswordOptions ?? {};
  const created = body as Partial<StoreTypeCreateRequest>;
  return {
    name: body.Name,
    shortName: body.ShortName,
    definition: {
      capability: body.Capability ?? null,
      localStore: body.LocalStore ?? false,
      supportedOperations: {
        add: operations.Add ?? false,
        create: operations.Create ?? false,
        discovery: operations.Discovery ?? false,
        enrollment: operations.Enrollment ?? false,
        remove: operations.Remove ?? false,
      },
      properties: (body.Properties ?? []).map(toPropertyInput),
      entryParameters: (body.EntryParameters ?? []).map(toEntryParameterInput),
      passwordOptions: {
        entrySupported: password.EntrySupported ?? false,
        storeRequired: password.StoreRequired ?? false,
        style: password.Style ?? passwordStyles.Default,
      },
      storePathType: body.StorePathType ?? null,
      storePathValue: body.StorePathValue ?? null,
      privateKeyAllowed: body.PrivateKeyAllowed ?? privateKeyOptions.Forbidden,
      certificateFormat: body.CertificateFormat ?? certificateFormats.PEM,
      serverRequired: body.ServerRequired ?? false,
      powerShell: body.PowerShell ?? false,
      blueprintAllowed: body.BlueprintAllowed ?? false,
      customAliasAllowed: body.CustomAliasAllowed ?? customAliasOptions.Forbidden,
      serverRegistration: body.ServerRegistration ?? null,
      inventoryEndpoint: body.InventoryEndpoint ?? null,
    },
    jobTypes: {
      inventory: created.InventoryJobTypeId,
      management: created.ManagementJobTypeId,
      discovery: created.DiscoveryJobTypeId,
      enrollment: created.EnrollmentJobTypeId,
    },
  };
}

export function toStoreTypeResponse(type: StoreTypeRecord): StoreTypeResponse {
  const { definition } = type;
  return {
    Name: type.name,
    ShortName: type.shortName,
    Capability: definition.capability,
    StoreType: type.storeType,
    ImportType: type.storeType,
    LocalStore: definition.localStore,
    SupportedOperations: {
      Add: definition.supportedOperations.add,
      Create: definition.supportedOperations.create,
      Discovery: definition.supportedOperations.discovery,
      Enrollment: definition.supportedOperations.enrollment,
      Remove: definition.supportedOperations.remove,
    },
    Properties: definition.properties.map((property) => ({
      Id: property.id,
      StoreTypeId: type.storeType,
      Name: property.name,
      DisplayName: property.displayName,
      Type: property.type,
      DependsOn: property.dependsOn,
      DefaultValue: property.defaultValue,
      Required: property.required,
      ValidationOptions:
        property.validationOnCreation === null ? null : { OnCreation: property.validationOnCreation },
    })),
    EntryParameters: definition.entryParameters.map((parameter) => ({
      StoreTypeId: type.storeType,
      Name: parameter.name,
      DisplayName: parameter.displayName,
      Type: parameter.type,
      ValidationOptions:
        parameter.validation === null
          ? null
          : {
              HasPrivateKey: parameter.validation.hasPrivateKey,
              OnAdd: parameter.validation.onAdd,
              OnRemove: parameter.validation.onRemove,
              OnODKG: parameter.validation.onODKG,
            },
      DependsOn: parameter.dependsOn,
      DefaultValue: parameter.defaultValue,
      Options: parameter.options,
      Id: parameter.id,
    })),
    PasswordOptions: {
      EntrySupported: definition.passwordOptions.entrySupported,
      StoreRequired: definition.passwordOptions.storeRequired,
      Style: definition.passwordOptions.style,
    },
    StorePathType: definition.storePathType,
    StorePathValue: definition.storePathValue,
    PrivateKeyAllowed: definition.privateKeyAllowed,
    CertificateFormat: definition.certificateFormat,
    JobProperties: definition.entryParameters.map((parameter) => parameter.name),
    ServerRequired: definition.serverRequired,
    PowerShell: definition.powerShell,
    BlueprintAllowed: definition.blueprintAllowed,
    CustomAliasAllowed: definition.customAliasAllowed,
    ServerRegistration: definition.serverRegistration,
    InventoryEndpoint: definition.inventoryEndpoint,
    InventoryJobType: definition.inventoryJobType,
    ManagementJobType: definition.managementJobType,
    DiscoveryJobType: definition.discoveryJobType,
    EnrollmentJobType: definition.enrollmentJobType,
  };
}

export function storeTypeRoutes(service: StoreTypeService): RouteRegistrar {
  return (app) => {
    app.get(
      '/KeyfactorAPI/CertificateStoreTypes',
      {
        schema: {
          tags,
          summary:
            'Lists certificate store types (query fields StoreType, Name, ShortName; default sort Name)',
          querystring: StoreTypeListQuery,
          response: { 200: Type.Array(StoreTypeResponseSchema) },
        },
        config: { access: readAccess },
      },
      async (request) => (await service.list(listRequestFromQuery(request.query))).map(toStoreTypeResponse),
    );

    app.get(
      '/KeyfactorAPI/CertificateStoreTypes/:id',
      {
        schema: {
          tags,
          summary: 'Gets one certificate store type by its number',
          params: StoreTypeIdParams,
          response: { 200: StoreTypeResponseSchema },
        },
        config: { access: readAccess },
      },
      async (request) => toStoreTypeResponse(await service.get(request.params.id)),
    );

    app.get(
      '/KeyfactorAPI/CertificateStoreTypes/Name/:name',
      {
        schema: {
          tags,
          summary: 'Gets the certificate store types with this short name (an array: short names may repeat)',
          params: StoreTypeNameParams,
          response: { 200: Type.Array(StoreTypeResponseSchema) },
        },
        config: { access: readAccess },
      },
      async (request) => (await service.getByShortName(request.params.name)).map(toStoreTypeResponse),
    );

    app.post(
      '/KeyfactorAPI/CertificateStoreTypes',
      {
        schema: {
          tags,
          summary: 'Creates a custom certificate store type (numbered from 102)',
          body: StoreTypeCreateRequestSchema,
          response: { 200: StoreTypeResponseSchema },
        },
        config: { access: modifyAccess },
      },
      async (request) => toStoreTypeResponse(await service.create(actorOf(request), toInput(request.body))),
    );

    app.put(
      '/KeyfactorAPI/CertificateStoreTypes',
      {
        schema: {
          tags,
          summary: 'Replaces a certificate store type; secret properties stay secret while stores use it',
          body: StoreTypeUpdateRequestSchema,
          response: { 200: StoreTypeResponseSchema },
        },
        config: { access: modifyAccess },
      },
      async (request) =>
        toStoreTypeResponse(
          await service.update(actorOf(request), request.body.StoreType, toInput(request.body)),
        ),
    );

    app.delete(
      '/KeyfactorAPI/CertificateStoreTypes/:id',
      {
        schema: {
          tags,
          summary: 'Deletes a custom certificate store type that no store or container uses',
          params: StoreTypeIdParams,
          response: { 204: Type.Null() },
        },
        config: { access: modifyAccess },
      },
      async (request, reply) => {
        await service.remove(actorOf(request), request.params.id);
        return reply.status(204).send(null);
      },
    );

    app.delete(
      '/KeyfactorAPI/CertificateStoreTypes',
      {
        schema: {
          tags,
          summary: 'Deletes several certificate store types; one that cannot be deleted is skipped',
          body: BoundedArray(Int32({ minimum: -1 }), 100),
          response: { 204: Type.Null() },
        },
        config: { access: modifyAccess },
      },
      async (request, reply) => {
        await service.removeMany(actorOf(request), request.body);
        return reply.status(204).send(null);
      },
    );
  };
}
