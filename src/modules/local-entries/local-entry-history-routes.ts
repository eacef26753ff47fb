import Type from 'typebox';
import type { RouteRegistrar } from '../../http/app.js';
import { actorOf, requirePermission } from '../../http/route-access.js';
import { entityTagOf } from './local-entry-etag.js';
import type { LocalEntryRecord } from './local-entry-repository.js';
import { ifMatchOf } from './local-entry-routes.js';
import type { LocalEntryMetadataResponse } from './local-entry-schemas.js';
import {
  EntryParams,
  LocalEntryMetadataResponse as LocalEntryMetadataResponseSchema,
  LocalEntryVersionResponse,
  VersionParams,
} from './local-entry-schemas.js';
import type { LocalEntryService } from './local-entry-service.js';

const tags = ['Strongroom local entry history'];

function toMetadata(entry: LocalEntryRecord): LocalEntryMetadataResponse {
  return {
    ProviderId: entry.providerId,
    SecretName: entry.secretName,
    Description: entry.description,
    Version: entry.version,
    CreatedAt: entry.createdAt,
    UpdatedAt: entry.updatedAt,
    UpdatedBy: entry.updatedBy,
  };
}

/**
 * Strongroom extensions beyond Keyfactor: an entry's version and ETag (for If-Match on Keyfactor's PUT),
 * its history of changes, and rolling back to an earlier version. Values are never returned here either.
 */
export function localEntryHistoryRoutes(service: LocalEntryService): RouteRegistrar {
  return (app) => {
    const entry = '/strongroom/pam-providers/:providerId/entries/:secretName';

    app.get(
      entry,
      {
        schema: {
          tags,
          summary: "Gets a local entry's metadata and version; the ETag header is what If-Match takes",
          params: EntryParams,
          response: { 200: LocalEntryMetadataResponseSchema },
        },
        config: { access: requirePermission('/pam/read/', { scoped: true }) },
      },
      async (request, reply) => {
        const found = await service.get(
          actorOf(request),
          request.params.providerId,
          request.params.secretName,
        );
        void reply.header('ETag', entityTagOf(found));
        return toMetadata(found);
      },
    );

    app.get(
      `${entry}/versions`,
      {
        schema: {
          tags,
          summary:
            'Lists the current and the kept earlier versions of a local entry, newest first, without values',
          params: EntryParams,
          response: { 200: Type.Array(LocalEntryVersionResponse) },
        },
        config: { access: requirePermission('/pam/read/', { scoped: true }) },
      },
      async (request) =>
        (await service.versions(actorOf(request), request.params.providerId, request.params.secretName)).map(
          (version) => ({
            Version: version.version,
            Description: version.description,
            ChangedAt: version.changedAt,
            ChangedBy: version.changedBy,
            IsCurrent: version.isCurrent,
          }),
        ),
    );

    app.post(
      `${entry}/versions/:version/restore`,
      {
        schema: {
          tags,
          summary:
            "Makes an earlier version's value and description current again, as a new version; honours If-Match",
          params: VersionParams,
          response: { 200: LocalEntryMetadataResponseSchema },
        },
        config: { access: requirePermission('/pam/modify/', { scoped: true }) },
      },
      async (request, reply) => {
        const restored = await service.restore(
          actorOf(request),
          request.params.providerId,
          request.params.secretName,
          request.params.version,
          ifMatchOf(request),
        );
        void reply.header('ETag', entityTagOf(restored));
        return toMetadata(restored);
      },
    );
  };
}
