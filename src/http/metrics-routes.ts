import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RouteRegistrar } from './app.js';
import { requirePermission } from './route-access.js';
import type { ServerMetrics } from './server-metrics.js';

export const metricsPermission = '/strongroom/metrics/';

/** GET /metrics on the API port, for scrapers that hold a credential with the metrics permission. */
export function metricsRoutes(metrics: ServerMetrics): RouteRegistrar {
  return (app) => {
    app.get(
      '/metrics',
      {
        schema: {
          tags: ['Metrics'],
          summary: 'Prometheus metrics in the text exposition format',
        },
        config: { access: requirePermission(metricsPermission) },
      },
      async (_request, reply) => reply.type(metrics.contentType).send(await metrics.render()),
    );
  };
}

export interface MetricsListener {
  /** http://127.0.0.1:<port> */
  readonly address: string;
  close(): Promise<void>;
}

/**
 * The optional credential-free listener for a scraper on the same machine. It is bound to loopback, never
 * configurable to anything else, and serves GET /metrics only: a plain node:http server, so it shares none
 * of the API's routes, hooks or access rules by accident.
 */
export async function startMetricsListener(metrics: ServerMetrics, port: number): Promise<MetricsListener> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?', 1)[0];
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Not found\n');
      return;
    }
    metrics.render().then(
      (text) => response.writeHead(200, { 'content-type': metrics.contentType }).end(text),
      () => response.writeHead(500, { 'content-type': 'text/plain' }).end('Metrics are unavailable\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  return {
    address: `http://127.0.0.1:${bound.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
