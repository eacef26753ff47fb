import Type from 'typebox';
import type { RouteRegistrar } from '../../http/app.js';
import { authenticatedAccess } from '../../http/route-access.js';
import type { Storage } from '../../storage/storage.js';
import { AppError } from '../../errors/app-error.js';

export function createStatusModule(dependencies: { storage: Storage }): RouteRegistrar {
  return (app) => {
    // Routes registered after this one are collected as they are added, so the list is never stale.
    const endpoints: string[] = [];
    app.addHook('onRoute', (route) => {
      if (!route.url.startsWith('/KeyfactorAPI/') || route.url.startsWith('/KeyfactorAPI/swagger')) return;
      for (const method of [route.method].flat())
        if (method !== 'HEAD') endpoints.push(`${method} ${route.url}`);
    });

    app.get(
      '/KeyfactorAPI/Status/HealthCheck',
      {
        schema: {
          tags: ['Status'],
          summary: 'Reports whether the server can reach its database (204 when it can)',
          response: { 204: Type.Null() },
        },
        config: { access: authenticatedAccess },
      },
      async (_request, reply) => {
        try {
          await dependencies.storage.ping();
        } catch (error) {
          throw new AppError('unavailable', 'The database is not reachable', { cause: error });
        }
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/KeyfactorAPI/Status/Endpoints',
      {
        schema: {
          tags: ['Status'],
          summary: 'Lists the endpoints this server serves, as METHOD and path',
          response: { 200: Type.Array(Type.String()) },
        },
        config: { access: authenticatedAccess },
      },
      async () => endpoints,
    );
  };
}
