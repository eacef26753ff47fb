import Type from 'typebox';
import type { FastifyRequest } from 'fastify';
import type { RouteRegistrar } from '../../http/app.js';
import { listRequestFromQuery } from '../../http/paging.js';
import { actorOf, requirePermission } from '../../http/route-access.js';
import type { LocalEntrySummary } from './local-entry-repository.js';
import type { LocalEntryPathUpdateBody, LocalEntryResponse } from './local-entry-schemas.js';
import {
  EntryDeleteQuery,
  EntryListQuery,
  EntryParams,
  LocalEntryCreateRequest,
  LocalEntryPathUpdateRequest,
  LocalEntryResponse as LocalEntryResponseSchema,
  LocalEntryUpdateRequest,
  ProviderParams,
} from './local-entry-schemas.js';
import type { LocalEntryService, LocalEntryUpdate } from './local-entry-service.js';

const tags = ['PAMLocalEntries'];
const readAccess = requirePermission('/pam/read/', { scoped: true });
const modifyAccess = requirePermission('/pam/modify/', { scoped: true });

function toResponse(entry: LocalEntrySummary): LocalEntryResponse {
  return { ProviderId: entry.providerId, SecretName: entry.secretName, Description: entry.description };
}

export function ifMatchOf(request: FastifyRequest): string | undefined {
  const header = request.headers['if-match'];
  return Array.isArray(header) ? header.join(',') : header;
}

/** Both update forms carry the same body; only the path form also names the entry in the URL. */
function toUpdate(
  request: FastifyRequest,
  body: LocalEntryPathUpdateBody,
  pathSecretName: string | undefined,
): LocalEntryUpdate {
  return {
    secretName: body.SecretName,
    pathSecretName,
    description: body.Description,
    secretValue: body.SecretValue,
    ifMatch: ifMatchOf(request),
  };
}

/** Keyfactor's local PAM entries (v1 only), in both the documented and the Go client's path forms. */
export function localEntryRoutes(service: LocalEntryService): RouteRegistrar {
  return (app) => {
    const collection = '/KeyfactorAPI/PamProviders/Local/:providerId/Entries';
    const member = `${collection}/:secretName`;

    app.get(
      collection,
      {
        schema: {
          tags,
          summary:
            'Lists the secrets of a local PAM provider (never their values). QueryString fields: SecretName, Description',
          params: ProviderParams,
          querystring: EntryListQuery,
          response: { 200: Type.Array(LocalEntryResponseSchema) },
        },
        config: { access: readAccess },
      },
      async (request) =>
        (
          await service.list(actorOf(request), request.params.providerId, listRequestFromQuery(request.query))
        ).map(toResponse),
    );

    app.post(
      collection,
      {
        schema: {
          tags,
          summary: 'Stores a new secret in a local PAM provider; the value is encrypted and never returned',
          params: ProviderParams,
          body: LocalEntryCreateRequest,
          response: { 200: LocalEntryResponseSchema },
        },
        config: { access: modifyAccess },
      },
      async (request) =>
        toResponse(
          await service.create(actorOf(request), request.params.providerId, {
            secretName: request.body.SecretName,
            description: request.body.Description ?? null,
            secretValue: request.body.SecretValue,
          }),
        ),
    );

    app.put(
      collection,
      {
        schema: {
          tags,
          summary:
            'Replaces the secret named by SecretName: Description is replaced (absent clears it); SecretValue replaces the value when given and keeps it when absent or null. Honours If-Match.',
          params: ProviderParams,
          body: LocalEntryUpdateRequest,
          response: { 200: LocalEntryResponseSchema },
        },
        config: { access: modifyAccess },
      },
      async (request) =>
        toResponse(
          await service.update(
            actorOf(request),
            request.params.providerId,
            toUpdate(request, request.body, undefined),
          ),
        ),
    );

    app.put(
      member,
      {
        schema: {
          tags,
          summary:
            "The same update addressed by path, as Keyfactor's Go client sends it; a different SecretName in the body is refused",
          params: EntryParams,
          body: LocalEntryPathUpdateRequest,
          response: { 200: LocalEntryResponseSchema },
        },
        config: { access: modifyAccess },
      },
      async (request) =>
        toResponse(
          await service.update(
            actorOf(request),
            request.params.providerId,
            toUpdate(request, request.body, request.params.secretName),
          ),
        ),
    );

    app.delete(
      collection,
      {
        schema: {
          tags,
          summary: 'Deletes the secret named by ?secretName=, with its version history',
          params: ProviderParams,
          querystring: EntryDeleteQuery,
          response: { 204: Type.Null() },
        },
        config: { access: modifyAccess },
      },
      async (request, reply) => {
        await service.remove(actorOf(request), request.params.providerId, request.query.secretName);
        return reply.status(204).send(null);
      },
    );

    app.delete(
      member,
      {
        schema: {
          tags,
          summary: "The same delete addressed by path, as Keyfactor's Go client sends it",
          params: EntryParams,
          response: { 204: Type.Null() },
        },
        config: { access: modifyAccess },
      },
      async (request, reply) => {
        await service.remove(actorOf(request), request.params.providerId, request.params.secretName);
        return reply.status(204).send(null);
      },
    );
  };
}
