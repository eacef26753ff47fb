import Type from 'typebox';
import type { RouteRegistrar } from '../../http/app.js';
import { authenticatedAccess } from '../../http/route-access.js';
export function createStatusModule(): RouteRegistrar {
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
      // Authenticating the caller has already read the database in this request (every credential verifier
      // reads the security version, see CredentialVerifiers), and answered 503 if it could not: a second
      // statement here would only repeat that proof, at a round trip on PostgreSQL.
      async (_request, reply) => reply.status(204).send(null),
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
