import Type from 'typebox';
import type { RouteRegistrar } from '../../http/app.js';
import { actorOf, requirePermission } from '../../http/route-access.js';
import type { KeyService, KeyStatus } from './key-service.js';
import type { KeyStatusResponse as KeyStatusBody } from './key-schemas.js';
import { DataKeyVersionParams, KeyStatusResponse, RewrapResponse, RotateResponse } from './key-schemas.js';

const tags = ['Strongroom keys'];
/** Implied by no other grant but `/strongroom/` and `/` (see docs/security.md). */
const keysAccess = requirePermission('/strongroom/keys/');

function toStatusResponse(status: KeyStatus): KeyStatusBody {
  return {
    ActiveKeyVersion: status.activeKeyVersion,
    Versions: status.versions.map((version) => ({
      KeyVersion: version.keyVersion,
      CreatedAt: version.createdAt,
      IsActive: version.isActive,
      SealedCount: version.sealedCount,
    })),
    Rewrap: {
      IsRunning: status.rewrap.isRunning,
      TargetVersion: status.rewrap.targetVersion,
      StartedAt: status.rewrap.startedAt,
      FinishedAt: status.rewrap.finishedAt,
      RowsRewrapped: status.rewrap.rowsRewrapped,
      LeaseUntil: status.rewrap.leaseUntil,
    },
  };
}

export function keyRoutes(service: KeyService): RouteRegistrar {
  return (app) => {
    app.get(
      '/strongroom/keys',
      {
        schema: {
          tags,
          summary: 'Data key versions, how many values each still seals, and rewrap progress',
          response: { 200: KeyStatusResponse },
        },
        config: { access: keysAccess },
      },
      async () => toStatusResponse(await service.status()),
    );

    app.post(
      '/strongroom/keys/rotate',
      {
        schema: {
          tags,
          summary:
            'Creates a new data key version; every node seals new writes with it from its next request',
          response: { 200: RotateResponse },
        },
        config: { access: keysAccess },
      },
      async (request) => ({ KeyVersion: (await service.rotate(actorOf(request).username)).keyVersion }),
    );

    app.post(
      '/strongroom/keys/rewrap',
      {
        schema: {
          tags,
          summary:
            'Reseals every stored value under the newest data key, in small transactions (409 while another rewrap runs)',
          response: { 200: RewrapResponse },
        },
        config: { access: keysAccess },
      },
      async (request) => {
        const summary = await service.rewrap(actorOf(request).username);
        return {
          TargetVersion: summary.targetVersion,
          Rewrapped: summary.rewrapped,
          ChangedMeanwhile: summary.changedMeanwhile,
          Remaining: summary.remaining,
          Stopped: summary.stopped,
        };
      },
    );

    app.delete(
      '/strongroom/keys/:version',
      {
        schema: {
          tags,
          summary: 'Retires (destroys) a data key version; refused while any value is still sealed with it',
          params: DataKeyVersionParams,
          response: { 204: Type.Null() },
        },
        config: { access: keysAccess },
      },
      async (request, reply) => {
        await service.retire(actorOf(request).username, request.params.version);
        return reply.status(204).send(null);
      },
    );
  };
}
