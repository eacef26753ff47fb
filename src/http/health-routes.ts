import Type from 'typebox';
import type { RouteRegistrar } from './app.js';
import { publicAccess } from './route-access.js';

/** One condition the server must meet to take traffic; resolves false (or rejects) when it does not. */
export type ReadinessCheck = () => Promise<boolean>;

// A load balancer's probe gives up after a few seconds; a check stuck on a hung database must answer first.
const readinessTimeoutMs = 2000;

const healthStatus = Type.Object({ Status: Type.String({ maxLength: 16 }) });

/**
 * Probes for load balancers and orchestrators. They are unauthenticated, so they answer with a status word
 * and nothing else: no version, no reason, nothing that tells a stranger about the deployment.
 * - live: the process answers HTTP. A failing live probe means "restart me".
 * - ready: it should be sent requests. A failing ready probe means "send them elsewhere for now".
 */
export function healthRoutes(options: {
  isShuttingDown: () => boolean;
  checks: readonly ReadinessCheck[];
}): RouteRegistrar {
  return (app) => {
    app.get(
      '/strongroom/health/live',
      {
        schema: {
          tags: ['Health'],
          summary: 'Answers 200 while the process serves HTTP',
          response: { 200: healthStatus },
        },
        config: { access: publicAccess },
      },
      async () => ({ Status: 'live' }),
    );

    app.get(
      '/strongroom/health/ready',
      {
        schema: {
          tags: ['Health'],
          summary:
            'Answers 200 when the database is reachable, its schema current, audit chaining keeping up and the server not shutting down; 503 otherwise',
          response: { 200: healthStatus, 503: healthStatus },
        },
        config: { access: publicAccess },
      },
      async (_request, reply) => {
        const isReady = !options.isShuttingDown() && (await allPass(options.checks));
        return reply.status(isReady ? 200 : 503).send({ Status: isReady ? 'ready' : 'unavailable' });
      },
    );
  };
}

async function allPass(checks: readonly ReadinessCheck[]): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), readinessTimeoutMs);
  });
  const outcomes = Promise.all(checks.map((check) => check().catch(() => false))).then((results) =>
    results.every(Boolean),
  );
  try {
    return await Promise.race([outcomes, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
