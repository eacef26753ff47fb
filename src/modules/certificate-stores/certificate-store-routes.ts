import Type from 'typebox';
import type { RouteRegistrar } from '../../http/app.js';
import { listRequestFromQuery } from '../../http/paging.js';
import { actorOf, requirePermission } from '../../http/route-access.js';
import type { StoreResponse, StoreSettings } from './certificate-store-schemas.js';
import {
  ContainerAssignmentRequest,
  StoreCreateRequest,
  StoreIdList,
  StoreIdParams,
  StoreListQuery,
  StorePasswordRequest,
  StoreResponse as StoreResponseSchema,
  StoreUpdateRequest,
} from './certificate-store-schemas.js';
import type { CertificateStoreService, StoreCreateInput, StoreDetails } from './certificate-store-service.js';
import { passwordSecretKey, propertyNameOf } from './store-secret-repository.js';
import { secretTypeGuids, toKeyfactorSecret } from './store-secret-view.js';
import { supportsStorePassword } from './store-type-model.js';

const tags = ['Certificate stores'];
// Container-level grants reach these routes; the service then checks the store's own container.
const readAccess = requirePermission('/certificate_stores/read/', { scoped: true });
const modifyAccess = requirePermission('/certificate_stores/modify/', { scoped: true });

/** Keyfactor returns Properties as JSON text: plain values as they are, secret ones as masked KeyfactorSecrets. */
function propertiesText(details: StoreDetails): string {
  const properties: Record<string, unknown> = { ...details.store.properties };
  for (const secret of details.secrets) {
    const name = propertyNameOf(secret.secretKey);
    if (name === undefined) continue;
    properties[name] = toKeyfactorSecret(secret, {
      secretTypeGuid: secretTypeGuids.storeProperty,
      instanceGuid: secret.instanceGuid,
      maskStoredValue: true,
    });
  }
  return JSON.stringify(properties);
}

/** Create and update read these fields the same way; absent ones take Keyfactor's defaults. */
function toStoreSettings(
  body: StoreSettings,
): Pick<
  StoreCreateInput,
  'createIfMissing' | 'properties' | 'agentId' | 'agentAssigned' | 'inventorySchedule' | 'password'
> {
  return {
    createIfMissing: body.CreateIfMissing ?? false,
    properties: body.Properties ?? null,
    agentId: body.AgentId ?? null,
    agentAssigned: body.AgentAssigned,
    inventorySchedule: body.InventorySchedule ?? null,
    password: body.Password,
  };
}

export function toStoreResponse(details: StoreDetails): StoreResponse {
  const { store, type } = details;
  return {
    Id: store.id,
    ContainerId: store.containerId,
    DisplayName: `${store.clientMachine} - ${store.storepath}`,
    ClientMachine: store.clientMachine,
    Storepath: store.storepath,
    CertStoreInventoryJobId: null,
    CertStoreType: store.certStoreType,
    Approved: store.approved,
    CreateIfMissing: store.createIfMissing,
    Properties: propertiesText(details),
    AgentId: store.agentId,
    AgentAssigned: store.agentAssigned,
    ContainerName: store.containerName,
    InventorySchedule: store.inventorySchedule as StoreResponse['InventorySchedule'],
    ReenrollmentStatus: {
      Data: false,
      AgentId: null,
      Message: null,
      JobProperties: null,
      CustomAliasAllowed: type.definition.customAliasAllowed,
      EntryParameters: [],
    },
    SetNewPasswordAllowed: supportsStorePassword(type.definition),
    Password: toKeyfactorSecret(
      details.secrets.find((secret) => secret.secretKey === passwordSecretKey),
      { secretTypeGuid: secretTypeGuids.storePassword, instanceGuid: store.id, maskStoredValue: false },
    ),
  };
}

export function certificateStoreRoutes(service: CertificateStoreService): RouteRegistrar {
  return (app) => {
    app.get(
      '/KeyfactorAPI/CertificateStores',
      {
        schema: {
          tags,
          summary: 'Lists the certificate stores the caller may read (default sort ClientMachine)',
          description:
            'Query fields: AddSupported, AgentAvailable, AgentId, Approved, Category, CertStoreType, ClientMachine, Container, ContainerId, HasInventoryScheduled, Id, PrivateKeyAllowed, RemoveSupported, StorePath.',
          querystring: StoreListQuery,
          response: { 200: Type.Array(StoreResponseSchema) },
        },
        config: { access: readAccess },
      },
      async (request) =>
        (await service.list(actorOf(request), listRequestFromQuery(request.query))).map(toStoreResponse),
    );

    app.get(
      '/KeyfactorAPI/CertificateStores/:id',
      {
        schema: {
          tags,
          summary: 'Gets one certificate store; its Password and secret properties never carry a value',
          params: StoreIdParams,
          response: { 200: StoreResponseSchema },
        },
        config: { access: readAccess },
      },
      async (request) => toStoreResponse(await service.get(actorOf(request), request.params.id)),
    );

    app.post(
      '/KeyfactorAPI/CertificateStores',
      {
        schema: {
          tags,
          summary: 'Creates a certificate store, with its password and secret properties sealed at rest',
          body: StoreCreateRequest,
          response: { 200: StoreResponseSchema },
        },
        config: { access: modifyAccess },
      },
      async (request) => {
        const { body } = request;
        return toStoreResponse(
          await service.create(actorOf(request), {
            containerId: body.ContainerId ?? null,
            clientMachine: body.ClientMachine,
            storepath: body.Storepath,
            certStoreType: body.CertStoreType,
            ...toStoreSettings(body),
          }),
        );
      },
    );

    app.put(
      '/KeyfactorAPI/CertificateStores',
      {
        schema: {
          tags,
          summary:
            'Replaces a certificate store; a null or absent Password (or ContainerId) is left as it is',
          body: StoreUpdateRequest,
          response: { 200: StoreResponseSchema },
        },
        config: { access: modifyAccess },
      },
      async (request) => {
        const { body } = request;
        return toStoreResponse(
          await service.update(actorOf(request), {
            id: body.Id,
            containerId: body.ContainerId,
            clientMachine: body.ClientMachine,
            storepath: body.Storepath,
            certStoreType: body.CertStoreType,
            ...toStoreSettings(body),
          }),
        );
      },
    );

    app.delete(
      '/KeyfactorAPI/CertificateStores/:id',
      {
        schema: {
          tags,
          summary: 'Deletes a certificate store and every secret it holds',
          params: StoreIdParams,
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
      '/KeyfactorAPI/CertificateStores',
      {
        schema: {
          tags,
          summary: 'Deletes several certificate stores; one that cannot be deleted is skipped',
          body: StoreIdList,
          response: { 204: Type.Null() },
        },
        config: { access: modifyAccess },
      },
      async (request, reply) => {
        await service.removeMany(actorOf(request), request.body);
        return reply.status(204).send(null);
      },
    );

    app.put(
      '/KeyfactorAPI/CertificateStores/AssignContainer',
      {
        schema: {
          tags,
          summary: 'Moves stores into an existing container, or into a new one made from NewContainerName',
          body: ContainerAssignmentRequest,
          response: { 200: Type.Array(StoreResponseSchema) },
        },
        config: { access: modifyAccess },
      },
      async (request) => {
        const { body } = request;
        const moved = await service.assignContainer(actorOf(request), {
          containerId: body.CertStoreContainerId ?? null,
          newContainerName: body.NewContainerName ?? null,
          newContainerType: body.NewContainerType ?? null,
          storeIds: body.KeystoreIds,
        });
        return moved.map(toStoreResponse);
      },
    );

    app.put(
      '/KeyfactorAPI/CertificateStores/Password',
      {
        schema: {
          tags,
          summary: "Sets the password Strongroom holds for a store (not the store's own); 204 and no body",
          description:
            'NewPassword is {"SecretValue": "..."} (sealed at rest), {"Provider": id, "Parameters": {...}} (a PAM reference; a local provider takes SecretName), or {} / {"SecretValue": null} for no password. Needs the global /certificate_stores/modify/ permission.',
          body: StorePasswordRequest,
          response: { 204: Type.Null() },
        },
        // Keyfactor documents only the global permission for this call, unlike the other store routes.
        config: { access: requirePermission('/certificate_stores/modify/') },
      },
      async (request, reply) => {
        await service.setPassword(actorOf(request), request.body.CertStoreId, request.body.NewPassword);
        return reply.status(204).send(null);
      },
    );
  };
}
