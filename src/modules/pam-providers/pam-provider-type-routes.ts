import Type from 'typebox';
import type { RouteRegistrar } from '../../http/app.js';
import { actorOf, requirePermission } from '../../http/route-access.js';
import { validationError } from '../../errors/app-error.js';
import type { ProviderTypeRecord } from './pam-provider-type-repository.js';
import type { ProviderTypeResponse } from './pam-provider-type-schemas.js';
import {
  ProviderTypeCreateRequest,
  ProviderTypeIdParams,
  ProviderTypeLookupParams,
  ProviderTypeResponse as ProviderTypeResponseSchema,
} from './pam-provider-type-schemas.js';
import type { ProviderTypeService } from './pam-provider-type-service.js';

const tags = ['PamProviders'];
const guidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const providerIdPattern = /^\d{1,10}$/;
const maxInt32 = 2147483647;

export function toProviderTypeResponse(type: ProviderTypeRecord): ProviderTypeResponse {
  return {
    Id: type.id,
    Name: type.name,
    Parameters: type.parameters.map((param) => ({
      Id: param.id,
      Name: param.name,
      DisplayName: param.displayName,
      DataType: param.dataType,
      InstanceLevel: param.instanceLevel,
    })),
  };
}

export function providerTypeRoutes(service: ProviderTypeService): RouteRegistrar {
  return (app) => {
    app.get(
      '/KeyfactorAPI/PamProviders/Types',
      {
        schema: {
          tags,
          summary: 'Lists PAM provider types (v1 and v2)',
          response: { 200: Type.Array(ProviderTypeResponseSchema) },
        },
        config: { access: requirePermission('/pam/read/', { scoped: true }) },
      },
      async () => (await service.list()).map(toProviderTypeResponse),
    );

    app.get(
      '/KeyfactorAPI/PamProviders/Types/:id',
      {
        schema: {
          tags,
          summary:
            "v2: the type of the PAM provider with this id, as an array. v1 (Keyfactor's Go client): the type with this GUID.",
          params: ProviderTypeLookupParams,
          response: {
            200: Type.Union([Type.Array(ProviderTypeResponseSchema), ProviderTypeResponseSchema]),
          },
        },
        config: { access: requirePermission('/pam/read/', { scoped: true }) },
      },
      async (request) => {
        const { id } = request.params;
        if (request.apiVersion === 2) {
          const providerId = providerIdPattern.test(id) ? Number(id) : Number.NaN;
          if (!(providerId <= maxInt32)) {
            throw validationError(
              `'id' must be a PAM provider id (an integer from 0 to ${maxInt32}) in API version 2`,
            );
          }
          return [toProviderTypeResponse(await service.forProvider(actorOf(request), providerId))];
        }
        if (!guidPattern.test(id)) {
          throw validationError("'id' must be a provider type GUID in API version 1");
        }
        return toProviderTypeResponse(await service.get(id));
      },
    );

    app.post(
      '/KeyfactorAPI/PamProviders/Types',
      {
        schema: {
          tags,
          summary: 'Creates a custom PAM provider type (v1 and v2)',
          body: ProviderTypeCreateRequest,
          response: { 200: ProviderTypeResponseSchema },
        },
        config: { access: requirePermission('/pam/modify/') },
      },
      async (request) =>
        toProviderTypeResponse(
          await service.create(actorOf(request), {
            name: request.body.Name,
            parameters: (request.body.Parameters ?? []).map((parameter) => ({
              name: parameter.Name,
              displayName: parameter.DisplayName ?? null,
              dataType: parameter.DataType ?? 1,
              instanceLevel: parameter.InstanceLevel ?? false,
            })),
          }),
        ),
    );

    app.delete(
      '/KeyfactorAPI/PamProviders/Types/:id',
      {
        schema: {
          tags,
          summary: 'Deletes a custom PAM provider type that no provider uses',
          params: ProviderTypeIdParams,
          response: { 204: Type.Null() },
        },
        config: { access: requirePermission('/pam/modify/') },
      },
      async (request, reply) => {
        await service.remove(actorOf(request), request.params.id);
        return reply.status(204).send(null);
      },
    );
  };
}
