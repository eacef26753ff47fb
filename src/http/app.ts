import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController } from 'fastify';
import Type from 'typebox';
import type {
  FastifyBaseLogger,
  FastifyReply,
  FastifySchema,
  FastifyInstance,
  FastifyServerOptions,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import { AppError } from '../errors/app-error.js';
import type { Actor } from '../modules/security/actor.js';
import type { Authenticator } from '../modules/security/authenticator.js';
import { errorBody, registerErrorHandling } from './error-handler.js';
import {
  isKeyfactorPath,
  parseApiVersion,
  requireRequestedWith,
  restoreEscapedQuery,
} from './keyfactor-headers.js';
import { normalizeQuery, normalizeToSchema } from './request-normalizer.js';
import { isAllowed } from './route-access.js';
import { serializerCompiler } from './serialization.js';
import { validatorCompiler } from './validation.js';

export type ApiInstance = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** Each area contributes its routes through one of these; the composition root lists them. */
export type RouteRegistrar = (app: ApiInstance) => void;

export interface HttpOptions {
  logger: FastifyServerOptions['logger'];
  bodyLimitBytes: number;
  authenticator: Authenticator;
  /** Portal sessions, asked when a request carries a session cookie and no Authorization header. */
  sessions?: SessionVerifier;
  registrars: readonly RouteRegistrar[];
  version: string;
}

export interface SessionVerifier {
  /** The session id in a request's Cookie header, if it carries one. */
  sessionIdOf(cookieHeader: string | undefined): string | undefined;
  authenticate(sessionId: string): Promise<Actor>;
}

/** Request fields pino must never write: credentials and anything that can carry a secret value. */
export const redactedLogPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  '*.password',
  '*.Password',
  '*.SecretValue',
  '*.NewPassword',
];

export async function buildHttpApp(options: HttpOptions): Promise<ApiInstance> {
  const app = Fastify({
    logger: options.logger,
    bodyLimit: options.bodyLimitBytes,
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true },
    rewriteUrl: (request) => restoreEscapedQuery(request.url ?? '/'),
    requestIdHeader: false,
    // One line per request, written when it is answered (below), instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    // Fastify answers a malformed URL itself, before any hook; this keeps even that in Keyfactor's error shape.
    frameworkErrors: answerMalformedUrl,
    ajv: { customOptions: { strict: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorateRequest('actor', undefined);
  app.decorateRequest('apiVersion', 1);
  registerErrorHandling(app);

  // A route without a declared access rule is a security hole waiting to happen; refuse to start instead.
  app.addHook('onRoute', (route) => {
    const access = (route.config as { access?: unknown } | undefined)?.access;
    const isFrameworkRoute = route.url.startsWith('/KeyfactorAPI/swagger');
    if (access === undefined && !isFrameworkRoute) {
      throw new Error(`Route ${route.method.toString()} ${route.url} declares no access rule`);
    }
  });

  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config.access ?? { kind: 'public' };
    if (access.kind === 'public') return;
    request.actor = await authenticateCaller(options, request.headers);
    if (isKeyfactorPath(request.url)) {
      requireRequestedWith(request.headers['x-keyfactor-requested-with']);
      request.apiVersion = parseApiVersion(request.headers['x-keyfactor-api-version']);
    }
    if (!isAllowed(request.actor, access)) {
      throw new AppError('forbidden', 'You do not have the permission this operation requires');
    }
  });

  app.addHook('onResponse', (request, reply, done) => {
    request.log.info(
      {
        method: request.method,
        url: request.url,
        statusCode: reply.statusCode,
        responseTime: reply.elapsedTime,
        user: request.actor?.username,
        remoteAddress: request.ip,
      },
      'request completed',
    );
    done();
  });

  app.addHook('preValidation', async (request) => {
    rejectNulCharacters(request.params, 'path');
    rejectNulCharacters(request.query, 'query string');
    rejectNulCharacters(request.body, 'request body');
    const schema = request.routeOptions.schema;
    if (schema === undefined) return;
    if (schema.body !== undefined && request.body !== undefined) {
      request.body = normalizeToSchema(request.body, schema.body as never);
    }
    if (schema.querystring !== undefined) {
      request.query = normalizeQuery(request.query as Record<string, unknown>, schema.querystring as never);
    }
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Strongroom API',
        version: options.version,
        description:
          'Keyfactor Command compatible API for PAM providers, local PAM secrets and certificate-store passwords, plus Strongroom extensions under /strongroom.',
      },
      components: {
        securitySchemes: { basic: { type: 'http', scheme: 'basic' } },
      },
      security: [{ basic: [] }],
    },
    transform: ({ schema, url }) => ({ schema: withKeyfactorHeaders(schema, url), url }),
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/KeyfactorAPI/swagger' });
  app.get(
    '/KeyfactorAPI/swagger/openapi.json',
    { schema: { hide: true }, config: { access: { kind: 'public' } } },
    async () => app.swagger(),
  );

  for (const register of options.registrars) register(app);
  return app;
}

function answerMalformedUrl(_error: unknown, _request: unknown, reply: FastifyReply): void {
  void reply
    .status(400)
    .send(errorBody('validation', 'The request URL could not be read; check its percent-escapes'));
}

/**
 * PostgreSQL text cannot hold U+0000 and refuses the whole statement, so such a value would otherwise end as a
 * 500 on one database and be stored on the other. No name, description or secret needs it.
 */
function rejectNulCharacters(value: unknown, where: string): void {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) {
      throw new AppError(
        'validation',
        `The ${where} contains a NUL character (U+0000), which no field accepts`,
      );
    }
    return;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      rejectNulCharacters(key, where);
      rejectNulCharacters(item, where);
    }
  }
}

const keyfactorHeaders = Type.Object({
  'x-keyfactor-requested-with': Type.String({
    default: 'APIClient',
    description: 'APIClient or XMLHttpRequest',
  }),
  'x-keyfactor-api-version': Type.Optional(Type.String({ default: '1', description: '1 (default) or 2' })),
});

/** The reference page can only call the Keyfactor API if it knows the headers every call needs. */
function withKeyfactorHeaders(schema: FastifySchema | undefined, url: string): FastifySchema {
  if (!isKeyfactorPath(url) || url.toLowerCase().startsWith('/keyfactorapi/swagger')) return schema ?? {};
  return { ...schema, headers: keyfactorHeaders };
}

/**
 * A browser attaches a cookie to requests it did not choose to make; a header only the page's own script can
 * set is what shows the request came from the portal, so a session cookie needs it on every path.
 */
async function authenticateCaller(
  options: HttpOptions,
  headers: { authorization?: string; cookie?: string; 'x-keyfactor-requested-with'?: string | string[] },
): Promise<Actor> {
  const sessionId =
    headers.authorization === undefined ? options.sessions?.sessionIdOf(headers.cookie) : undefined;
  if (sessionId === undefined || options.sessions === undefined) {
    return authenticate(options.authenticator, headers.authorization);
  }
  requireRequestedWith(headers['x-keyfactor-requested-with']);
  return options.sessions.authenticate(sessionId);
}

async function authenticate(authenticator: Authenticator, header: string | undefined) {
  if (header === undefined) throw new AppError('unauthenticated', 'Authentication is required');
  const [scheme, credentials] = header.split(' ', 2);
  if (scheme?.toLowerCase() === 'bearer') {
    throw new AppError(
      'unauthenticated',
      'Bearer tokens are not accepted by this server yet; use Basic authentication',
    );
  }
  if (scheme?.toLowerCase() !== 'basic' || credentials === undefined) {
    throw new AppError('unauthenticated', 'Authentication is required');
  }
  const decoded = Buffer.from(credentials, 'base64').toString('utf8');
  const separator = decoded.indexOf(':');
  if (separator <= 0)
    throw new AppError('unauthenticated', 'Authentication failed: the user name or password is not valid');
  // Keyfactor clients send DOMAIN\user; local users have no domain, so only the name after it counts.
  const account = decoded.slice(0, separator);
  const username = account.slice(account.lastIndexOf('\\') + 1);
  return authenticator.authenticateBasic(username, decoded.slice(separator + 1));
}
