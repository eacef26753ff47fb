import Type from 'typebox';
import type { RouteRegistrar } from '../../http/app.js';
import { actorOf, requirePermission } from '../../http/route-access.js';
import type { OAuthClientService, OAuthClientView } from './oauth-client-service.js';
import type { OAuthClientResponse } from './identity-schemas.js';
import {
  ClientIdParams,
  OAuthClientCreateRequest,
  OAuthClientResponse as OAuthClientResponseSchema,
  OAuthClientSecretResponse,
  OAuthClientUpdateRequest,
} from './identity-schemas.js';

const tags = ['OAuth clients'];
const readAccess = requirePermission('/security/read/');
const modifyAccess = requirePermission('/security/modify/');

const toResponse = (client: OAuthClientView): OAuthClientResponse => ({
  ClientId: client.clientId,
  Description: client.description,
  Enabled: client.enabled,
  CreatedAt: client.createdAt,
  UpdatedAt: client.updatedAt,
});

/** Machine clients of the built-in token issuer: a Strongroom extension. */
export function oauthClientRoutes(service: OAuthClientService): RouteRegistrar {
  return (app) => {
    app.get(
      '/strongroom/oauth/clients',
      {
        schema: {
          tags,
          summary: 'Lists OAuth clients',
          response: { 200: Type.Array(OAuthClientResponseSchema) },
        },
        config: { access: readAccess },
      },
      async () => (await service.list()).map(toResponse),
    );

    app.get(
      '/strongroom/oauth/clients/:clientId',
      {
        schema: {
          tags,
          summary: 'Gets one OAuth client',
          params: ClientIdParams,
          response: { 200: OAuthClientResponseSchema },
        },
        config: { access: readAccess },
      },
      async (request) => toResponse(await service.get(request.params.clientId)),
    );

    app.post(
      '/strongroom/oauth/clients',
      {
        schema: {
          tags,
          summary: 'Creates an OAuth client; its ClientSecret is in this answer only',
          body: OAuthClientCreateRequest,
          response: { 200: OAuthClientSecretResponse },
        },
        config: { access: modifyAccess },
      },
      async (request, reply) => {
        const created = await service.create(actorOf(request), {
          clientId: request.body.ClientId,
          description: request.body.Description ?? '',
        });
        void reply.header('cache-control', 'no-store');
        return { ...toResponse(created), ClientSecret: created.clientSecret };
      },
    );

    app.put(
      '/strongroom/oauth/clients/:clientId',
      {
        schema: {
          tags,
          summary:
            'Changes a client’s description or enables or disables it (disabled clients’ tokens stop working at once)',
          params: ClientIdParams,
          body: OAuthClientUpdateRequest,
          response: { 200: OAuthClientResponseSchema },
        },
        config: { access: modifyAccess },
      },
      async (request) =>
        toResponse(
          await service.update(actorOf(request), request.params.clientId, {
            description: request.body.Description,
            enabled: request.body.Enabled,
          }),
        ),
    );

    app.post(
      '/strongroom/oauth/clients/:clientId/secret',
      {
        schema: {
          tags,
          summary: 'Replaces the client’s secret; the new one is in this answer only',
          params: ClientIdParams,
          response: { 200: OAuthClientSecretResponse },
        },
        config: { access: modifyAccess },
      },
      async (request, reply) => {
        const rotated = await service.rotateSecret(actorOf(request), request.params.clientId);
        void reply.header('cache-control', 'no-store');
        return { ...toResponse(rotated), ClientSecret: rotated.clientSecret };
      },
    );

    app.delete(
      '/strongroom/oauth/clients/:clientId',
      {
        schema: {
          tags,
          summary: 'Deletes an OAuth client; its tokens stop working at once',
          params: ClientIdParams,
          response: { 204: Type.Null() },
        },
        config: { access: modifyAccess },
      },
      async (request, reply) => {
        await service.remove(actorOf(request), request.params.clientId);
        return reply.status(204).send(null);
      },
    );
  };
}
