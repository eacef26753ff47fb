import Type from 'typebox';
import type { RouteRegistrar } from '../../http/app.js';
import { listRequestFromQuery } from '../../http/paging.js';
import { actorOf, requirePermission } from '../../http/route-access.js';
import type { IdentityProviderRecord } from './identity-provider-repository.js';
import type { IdentityProviderDraft, IdentityProviderService } from './identity-provider-service.js';
import { genericProviderType, providerParameters } from './identity-provider-service.js';
import type { IdentityProviderRequest, IdentityProviderResponse } from './identity-schemas.js';
import {
  IdentityProviderIdParams,
  IdentityProviderListQuery,
  IdentityProviderRequest as IdentityProviderRequestSchema,
  IdentityProviderResponse as IdentityProviderResponseSchema,
} from './identity-schemas.js';

const tags = ['Identity Providers'];
const readAccess = requirePermission('/identity_providers/read/');
const modifyAccess = requirePermission('/identity_providers/modify/');
const stringDataType = 1;

function toResponse(provider: IdentityProviderRecord): IdentityProviderResponse {
  const values: Record<keyof typeof providerParameters, string | null> = {
    Authority: provider.authority,
    Audience: provider.audience,
    NameClaimType: provider.nameClaimType,
    ClientId: provider.clientId,
    RoleClaimType: provider.roleClaimType,
    ClientIdClaimType: provider.clientIdClaimType,
  };
  // Local users (Basic) have no token parameters to show.
  const parameters =
    provider.authority === null
      ? []
      : (Object.keys(providerParameters) as (keyof typeof providerParameters)[]).map((name) => ({
          Name: name,
          DisplayName: providerParameters[name].displayName,
          DataType: stringDataType,
          Value: values[name] ?? '',
        }));
  return {
    Id: provider.id,
    AuthenticationScheme: provider.authenticationScheme,
    DisplayName: provider.displayName,
    ProviderType: provider.providerType,
    AuthenticationEnabled: provider.authenticationEnabled,
    PermissionSetId: provider.permissionSetId,
    Parameters: parameters,
  };
}

function toDraft(body: IdentityProviderRequest): IdentityProviderDraft {
  return {
    authenticationScheme: body.AuthenticationScheme,
    displayName: body.DisplayName,
    providerType: body.ProviderType ?? genericProviderType,
    authenticationEnabled: body.AuthenticationEnabled ?? true,
    permissionSetId: body.PermissionSetId ?? undefined,
    parameters: body.Parameters.map((parameter) => ({ name: parameter.Name, value: parameter.Value })),
  };
}

/** Keyfactor's Identity Providers endpoints, at the path its documentation gives. */
export function identityProviderRoutes(service: IdentityProviderService): RouteRegistrar {
  return (app) => {
    app.get(
      '/KeyfactorAPI/Identity/Providers',
      {
        schema: {
          tags,
          summary:
            'Lists identity providers (QueryString over AuthenticationScheme, AuthorizationUrl, DisplayName, ProviderTypes)',
          querystring: IdentityProviderListQuery,
          response: { 200: Type.Array(IdentityProviderResponseSchema) },
        },
        config: { access: readAccess },
      },
      async (request) => (await service.list(listRequestFromQuery(request.query))).map(toResponse),
    );

    app.get(
      '/KeyfactorAPI/Identity/Providers/:id',
      {
        schema: {
          tags,
          summary: 'Gets one identity provider',
          params: IdentityProviderIdParams,
          response: { 200: IdentityProviderResponseSchema },
        },
        config: { access: readAccess },
      },
      async (request) => toResponse(await service.get(request.params.id)),
    );

    app.post(
      '/KeyfactorAPI/Identity/Providers',
      {
        schema: {
          tags,
          summary:
            'Adds an OpenID Connect provider; its discovery document and keys are fetched and checked first',
          body: IdentityProviderRequestSchema,
          response: { 200: IdentityProviderResponseSchema },
        },
        config: { access: modifyAccess },
      },
      async (request) => toResponse(await service.create(actorOf(request), toDraft(request.body))),
    );

    app.put(
      '/KeyfactorAPI/Identity/Providers/:id',
      {
        schema: {
          tags,
          summary: 'Replaces an identity provider’s settings (AuthenticationScheme cannot change)',
          params: IdentityProviderIdParams,
          body: IdentityProviderRequestSchema,
          response: { 200: IdentityProviderResponseSchema },
        },
        config: { access: modifyAccess },
      },
      async (request) =>
        toResponse(await service.update(actorOf(request), request.params.id, toDraft(request.body))),
    );
  };
}
