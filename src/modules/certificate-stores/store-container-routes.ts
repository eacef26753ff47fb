import Type from 'typebox';
import type { RouteRegistrar } from '../../http/app.js';
import { listRequestFromQuery } from '../../http/paging.js';
import { actorOf, requirePermission } from '../../http/route-access.js';
import { toStoreResponse } from './certificate-store-routes.js';
import type { ContainerFields, ContainerRecord } from './store-container-repository.js';
import type {
  ContainerCreateRequest,
  ContainerListItem,
  ContainerResponse,
} from './store-container-schemas.js';
import {
  ContainerCreateRequest as ContainerCreateRequestSchema,
  ContainerIdParams,
  ContainerListItem as ContainerListItemSchema,
  ContainerListQuery,
  ContainerResponse as ContainerResponseSchema,
  ContainerUpdateRequest,
} from './store-container-schemas.js';
import type { ContainerDetails, StoreContainerService } from './store-container-service.js';

const tags = ['Certificate store containers'];
const readAccess = requirePermission('/certificate_stores/read/', { scoped: true });
const modifyAccess = requirePermission('/certificate_stores/modify/', { scoped: true });

function toFields(body: Omit<ContainerCreateRequest, 'Id'>): ContainerFields {
  return {
    name: body.Name,
    certStoreType: body.CertStoreType ?? null,
    overwriteSchedules: body.OverwriteSchedules ?? false,
    schedule: body.Schedule ?? null,
  };
}

function toListItem(container: ContainerRecord): ContainerListItem {
  return {
    Id: container.id,
    Name: container.name,
    OverwriteSchedules: container.overwriteSchedules,
    Schedule: container.schedule === null ? null : JSON.stringify(container.schedule),
    StoreCount: container.storeCount,
  };
}

function toResponse({ container, stores }: ContainerDetails): ContainerResponse {
  return {
    Id: container.id,
    Name: container.name,
    Schedule: container.schedule as ContainerResponse['Schedule'],
    CertificateStores: stores.map(toStoreResponse),
  };
}

export function storeContainerRoutes(service: StoreContainerService): RouteRegistrar {
  return (app) => {
    app.get(
      '/KeyfactorAPI/CertificateStoreContainers',
      {
        schema: {
          tags,
          summary:
            'Lists the containers the caller may read (query fields Id, Name, CertStoreType, HasSchedule)',
          querystring: ContainerListQuery,
          response: { 200: Type.Array(ContainerListItemSchema) },
        },
        config: { access: readAccess },
      },
      async (request) =>
        (await service.list(actorOf(request), listRequestFromQuery(request.query))).map(toListItem),
    );

    app.get(
      '/KeyfactorAPI/CertificateStoreContainers/:id',
      {
        schema: {
          tags,
          summary: 'Gets one container with its certificate stores',
          params: ContainerIdParams,
          response: { 200: ContainerResponseSchema },
        },
        config: { access: readAccess },
      },
      async (request) => toResponse(await service.get(actorOf(request), request.params.id)),
    );

    app.post(
      '/KeyfactorAPI/CertificateStoreContainers',
      {
        schema: {
          tags,
          summary:
            'Creates a container (needs the global modify permission: no container grant covers a new one)',
          body: ContainerCreateRequestSchema,
          response: { 200: ContainerResponseSchema },
        },
        config: { access: requirePermission('/certificate_stores/modify/') },
      },
      async (request) => toResponse(await service.create(actorOf(request), toFields(request.body))),
    );

    app.put(
      '/KeyfactorAPI/CertificateStoreContainers',
      {
        schema: {
          tags,
          summary:
            "Replaces a container's name, type and schedule (OverwriteSchedules copies it to its stores)",
          body: ContainerUpdateRequest,
          response: { 200: ContainerResponseSchema },
        },
        config: { access: modifyAccess },
      },
      async (request) =>
        toResponse(await service.update(actorOf(request), request.body.Id, toFields(request.body))),
    );

    app.delete(
      '/KeyfactorAPI/CertificateStoreContainers/:id',
      {
        schema: {
          tags,
          summary: 'Deletes an empty container',
          params: ContainerIdParams,
          response: { 204: Type.Null() },
        },
        config: { access: modifyAccess },
      },
      async (request, reply) => {
        await service.remove(actorOf(request), request.params.id);
        return reply.status(204).send(null);
      },
    );
  };
}
