import Type from 'typebox';
import type { RouteRegistrar } from '../../http/app.js';
import { listRequestFromQuery } from '../../http/paging.js';
import { actorOf, requirePermission } from '../../http/route-access.js';
import { PagingQuery } from '../../http/schema-helpers.js';
import { secretValueMask } from './pam-provider-parameter-values.js';
import type {
  ParameterValueRequest,
  ProviderResponseV1,
  ProviderResponseV2,
} from './pam-provider-schemas.js';
import {
  ProviderCreateRequest,
  ProviderDeleteParams,
  ProviderReadParams,
  ProviderResponse as ProviderResponseSchema,
  ProviderUpdateRequest,
} from './pam-provider-schemas.js';
import type { ProviderInput, ProviderService, ProviderView } from './pam-provider-service.js';

const tags = ['PamProviders'];

/**
 * v1 is Keyfactor's ProviderResponseLegacy, v2 its ProviderResponse (no `Area`, no `SecuredAreaId`). A stored
 * secret parameter value is never read back: it shows as the mask, which a PUT may send back to keep it.
 */
export function toProviderResponse(
  { provider, type }: ProviderView,
  apiVersion: 1 | 2,
): ProviderResponseV1 | ProviderResponseV2 {
  const paramsById = new Map(type.parameters.map((param) => [param.id, param]));
  const providerType = {
    Id: type.id,
    Name: type.name,
    ProviderTypeParams: type.parameters.map((param) => ({
      Id: param.id,
      Name: param.name,
      DisplayName: param.displayName,
      DataType: param.dataType,
      InstanceLevel: param.instanceLevel,
      ProviderType: null,
    })),
  };
  const values = provider.values.flatMap((value) => {
    const param = paramsById.get(value.paramId);
    if (param === undefined) return [];
    return [
      {
        Id: value.id,
        Value: param.dataType === 2 ? (value.hasSealedValue ? secretValueMask : null) : value.valueText,
        InstanceId: null,
        InstanceGuid: null,
        ProviderTypeParam: {
          Id: param.id,
          Name: param.name,
          DisplayName: param.displayName,
          DataType: param.dataType,
          InstanceLevel: param.instanceLevel,
        },
      },
    ];
  });
  if (apiVersion === 2) {
    return {
      Id: provider.id,
      Name: provider.name,
      ProviderType: providerType,
      ProviderTypeParamValues: values,
      Remote: provider.remote,
    };
  }
  return {
    Id: provider.id,
    Name: provider.name,
    Area: provider.area,
    ProviderType: providerType,
    ProviderTypeParamValues: values,
    SecuredAreaId: provider.securedAreaId,
    Remote: provider.remote,
  };
}

function toProviderInput(body: {
  Name: string;
  Remote?: boolean;
  Area?: number;
  SecuredAreaId?: number | null;
  ProviderType?: { Id: string };
  ProviderTypeParamValues?: ParameterValueRequest[] | null;
}): ProviderInput {
  return {
    name: body.Name,
    remote: body.Remote,
    area: body.Area,
    securedAreaId: body.SecuredAreaId,
    typeId: body.ProviderType?.Id,
    values: body.ProviderTypeParamValues?.map((item) => ({
      value: item.Value,
      paramId: item.ProviderTypeParam?.Id,
      paramName: item.ProviderTypeParam?.Name,
    })),
  };
}

export function providerRoutes(service: ProviderService): RouteRegistrar {
  return (app) => {
    app.get(
      '/KeyfactorAPI/PamProviders',
      {
        schema: {
          tags,
          summary:
            'Lists the PAM providers the caller may read. QueryString fields: Area, Name, ProviderType, SecuredAreaId; default sort Name',
          querystring: Type.Object(PagingQuery),
          response: { 200: Type.Array(ProviderResponseSchema) },
        },
        config: { access: requirePermission('/pam/read/', { scoped: true }) },
      },
      async (request) =>
        (await service.list(actorOf(request), listRequestFromQuery(request.query))).map((view) =>
          toProviderResponse(view, request.apiVersion),
        ),
    );

    app.get(
      '/KeyfactorAPI/PamProviders/:id',
      {
        schema: {
          tags,
          summary: 'Gets one PAM provider',
          params: ProviderReadParams,
          response: { 200: ProviderResponseSchema },
        },
        config: { access: requirePermission('/pam/read/', { scoped: true }) },
      },
      async (request) =>
        toProviderResponse(await service.get(actorOf(request), request.params.id), request.apiVersion),
    );

    app.post(
      '/KeyfactorAPI/PamProviders',
      {
        schema: {
          tags,
          summary:
            "Creates a PAM provider. Values of secret parameters (DataType 2) are encrypted and never returned; responses show '********************'",
          body: ProviderCreateRequest,
          response: { 200: ProviderResponseSchema },
        },
        config: { access: requirePermission('/pam/modify/') },
      },
      async (request) =>
        toProviderResponse(
          await service.create(actorOf(request), toProviderInput(request.body)),
          request.apiVersion,
        ),
    );

    app.put(
      '/KeyfactorAPI/PamProviders',
      {
        schema: {
          tags,
          summary:
            "Replaces a PAM provider (the Id is in the body). Parameters left out lose their value; a secret parameter sent as '********************' keeps its stored value",
          body: ProviderUpdateRequest,
          response: { 200: ProviderResponseSchema },
        },
        config: { access: requirePermission('/pam/modify/', { scoped: true }) },
      },
      async (request) =>
        toProviderResponse(
          await service.update(
            actorOf(request),
            request.body.Id,
            toProviderInput(request.body),
            request.apiVersion,
          ),
          request.apiVersion,
        ),
    );

    app.delete(
      '/KeyfactorAPI/PamProviders/:id',
      {
        schema: {
          tags,
          summary: 'Deletes a PAM provider that no local entry or certificate store secret uses',
          params: ProviderDeleteParams,
          response: { 204: Type.Null() },
        },
        config: { access: requirePermission('/pam/modify/', { scoped: true }) },
      },
      async (request, reply) => {
        await service.remove(actorOf(request), request.params.id);
        return reply.status(204).send(null);
      },
    );
  };
}
