import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController } from 'fastify';
import Type from 'typebox';
import type {
  FastifyBaseLogger,
  FastifyReply,
  FastifyRequest,
  FastifySchema,
  FastifyInstance,
  HookHandlerDoneFunction,
  FastifyServerOptions,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import { AppError } from '../errors/app-error.js';
import type { Actor } from '../modules/security/actor.js';
import { errorBody, registerErrorHandling } from './error-handler.js';
import {
  isKeyfactorPath,
  parseApiVersion,
  requireRequestedWith,
  restoreEscapedQuery,
} from './keyfactor-headers.js';
import type { DeniedRequestAuditor } from '../modules/audit/denied-request-audit.js';
import { answerClientError } from './client-error.js';
import { deniedRequestListener } from './denied-request-listener.js';
import { registerJsonBodyParser, rejectNulCharacters, requireBody } from './request-body.js';
import type { JsonSchema } from './request-normalizer.js';
import { normalizeQuery, normalizeToSchema } from './request-normalizer.js';
import type { MetricsRecorder } from './metrics-recorder.js';
import { loggableUrl } from './loggable-url.js';
import type { RouteAccess } from './route-access.js';
import { isAllowed, publicAccess } from './route-access.js';
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

/**
 * How each kind of credential becomes a caller. The composition root supplies them, so this layer knows the
 * wire formats but no module; a new kind (a portal session) is one more member here and one branch below.
 * Each throws an `AppError` when it refuses. Each reads the database on every call (at least the security
 * version, so a revocation counts at the next request), which makes any authenticated request proof that
 * the database answered: the HealthCheck relies on it.
 */
export interface CredentialVerifiers {
  basic(username: string, password: string): Promise<Actor>;
  bearer(token: string): Promise<Actor>;
}

export interface HttpOptions {
  logger: FastifyServerOptions['logger'];
  bodyLimitBytes: number;
  credentialVerifiers: CredentialVerifiers;
  /** Portal sessions, asked when a request carries a session cookie and no Authorization header. */
  sessions?: SessionVerifier;
  registrars: readonly RouteRegistrar[];
  version: string;
  /** Records refused sign-ins and 403s in the audit log. */
  deniedRequests?: DeniedRequestAuditor;
  /** PEM certificate (with its chain) and key to serve HTTPS with; plain HTTP when absent. */
  tls?: { cert: Buffer; key: Buffer };
  metrics?: MetricsRecorder;
  /** Proxies (addresses or CIDR ranges) whose X-Forwarded-* headers set request.ip and request.protocol. */
  trustedProxies?: readonly string[];
}

/** Older protocol versions have known weaknesses; every client Strongroom serves speaks 1.2 or 1.3. */
export const minimumTlsVersion = 'TLSv1.2';
export interface SessionVerifier {
  /** The session id in a request's Cookie header, if it carries one. */
  sessionIdOf(cookieHeader: string | undefined): string | undefined;
  /** Reads the session from the database on every call, as the credential verifiers read it. */
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
  '*.ClientSecret',
  '*.client_secret',
  '*.access_token',
];

export async function buildHttpApp(options: HttpOptions): Promise<ApiInstance> {
  const { tls, metrics } = options;
  const app = Fastify({
    logger: options.logger,
    // Built here rather than through Fastify's `https` option so the instance keeps one server type; the
    // certificate is replaced later through the server's setSecureContext (see reloadTls in the startup).
    serverFactory: (handler) =>
      tls === undefined
        ? createHttpServer(handler)
        : (createHttpsServer({ ...tls, minVersion: minimumTlsVersion }, handler) as unknown as ReturnType<
            typeof createHttpServer
          >),
    bodyLimit: options.bodyLimitBytes,
    trustProxy:
      options.trustedProxies !== undefined && options.trustedProxies.length > 0
        ? [...options.trustedProxies]
        : false,
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true },
    rewriteUrl: (request) => restoreEscapedQuery(request.url ?? '/'),
    requestIdHeader: false,
    // One line per request, written when it is answered (below), instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    // Fastify gives every request a child logger carrying a request id; nothing here reads that id, and
    // making the child cost every request an allocation-heavy pino child, so requests log through the server's.
    childLoggerFactory: (logger) => logger,
    // Fastify answers a malformed URL itself, before any hook; this keeps even that in Keyfactor's error shape.
    frameworkErrors: answerMalformedUrl,
    clientErrorHandler: answerClientError,
    ajv: { customOptions: { strict: false } },
    // Fastify's own 503 while closing has its own body shape; the onRequest hook answers it in Keyfactor's.
    return503OnClosing: false,
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorateRequest('actor', undefined);
  app.decorateRequest('apiVersion', 1);
  app.decorateRequest('routeTemplate', undefined);
  registerErrorHandling(
    app,
    options.deniedRequests === undefined ? undefined : deniedRequestListener(options.deniedRequests),
  );
  registerJsonBodyParser(app, options.bodyLimitBytes);

  // Set when closing starts: requests that still arrive on an open keep-alive connection are turned away
  // (with the connection) so the client retries on a node that is staying, while those in flight finish.
  let isClosing = false;
  app.addHook('preClose', (done) => {
    isClosing = true;
    done();
  });

  app.addHook('onRequest', (request, reply, done) => {
    if (!isClosing) {
      done();
      return;
    }
    void reply.header('connection', 'close');
    done(new AppError('unavailable', 'This server is shutting down; send the request again'));
  });

  /**
   * Each route gets its own access and input hooks, made once from what it declares, so no request looks its
   * route's options up again (Fastify builds that object anew on every read). A route without a declared
   * access rule is a security hole waiting to happen: the server refuses to start instead.
   */
  app.addHook('onRoute', (route) => {
    const declared = route.config?.access;
    const isFrameworkRoute = route.url.startsWith('/KeyfactorAPI/swagger');
    if (declared === undefined && !isFrameworkRoute) {
      throw new Error(`Route ${route.method.toString()} ${route.url} declares no access rule`);
    }
    route.onRequest = [
      accessHook(options, route.url, declared ?? publicAccess),
      ...hookList(route.onRequest),
    ] as typeof route.onRequest;
    route.preValidation = [
      inputHook(route.schema),
      ...hookList(route.preValidation),
    ] as typeof route.preValidation;
  });

  // The access line names only the fields below (the URL without credential values), so it skips redaction,
  // whose wildcard paths are walked on every line written.
  const accessLog = app.log.child({}, { redact: { paths: [] } });
  app.addHook('onResponse', (request, reply, done) => {
    // The route template, never the URL: a request no route matched has none and shares one label value.
    metrics?.requestAnswered(
      request.method,
      request.routeTemplate,
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    accessLog.info(
      {
        method: request.method,
        url: loggableUrl(request.url),
        statusCode: reply.statusCode,
        responseTime: reply.elapsedTime,
        user: request.actor?.username,
        remoteAddress: request.ip,
      },
      'request completed',
    );
    done();
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
        securitySchemes: {
          basic: { type: 'http', scheme: 'basic' },
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        },
      },
      security: [{ basic: [] }, { bearer: [] }],
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

type RouteHook = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void;

function hookList<T>(hooks: T | T[] | undefined): T[] {
  if (hooks === undefined) return [];
  return Array.isArray(hooks) ? hooks : [hooks];
}

/** Who may call the route: authenticates the caller (unless the route is public) and checks the permission. */
function accessHook(options: HttpOptions, routeTemplate: string, access: RouteAccess) {
  const checksKeyfactorHeaders = isKeyfactorPath(routeTemplate);
  return async (request: FastifyRequest): Promise<void> => {
    request.routeTemplate = routeTemplate;
    if (access.kind === 'public') return;
    const actor = await authenticateCaller(options, request.headers);
    request.actor = actor;
    if (checksKeyfactorHeaders) {
      requireRequestedWith(request.headers['x-keyfactor-requested-with']);
      request.apiVersion = parseApiVersion(request.headers['x-keyfactor-api-version']);
    }
    if (!isAllowed(actor, access)) {
      throw new AppError('forbidden', 'You do not have the permission this operation requires', {
        missingPermission: access.kind === 'permission' ? access.permission : undefined,
      });
    }
  };
}

/**
 * What every input goes through before the route's schema sees it: NUL characters are refused, a declared
 * body is required, and names are matched to the schema's case (see request-normalizer.ts). Synchronous, so
 * it costs no promise.
 */
function inputHook(schema: FastifySchema | undefined): RouteHook {
  const bodySchema = schema?.body as JsonSchema | undefined;
  const querySchema = schema?.querystring as JsonSchema | undefined;
  return (request, _reply, done) => {
    try {
      rejectNulCharacters(request.params, 'path');
      rejectNulCharacters(request.query, 'query string');
      rejectNulCharacters(request.body, 'request body');
      requireBody(bodySchema, request.body);
      if (bodySchema !== undefined && request.body !== undefined) {
        request.body = normalizeToSchema(request.body, bodySchema);
      }
      if (querySchema !== undefined) {
        request.query = normalizeQuery(request.query as Record<string, unknown>, querySchema);
      }
    } catch (error) {
      done(error as Error);
      return;
    }
    done();
  };
}

function answerMalformedUrl(_error: unknown, _request: unknown, reply: FastifyReply): void {
  void reply
    .status(400)
    .send(errorBody('validation', 'The request URL could not be read; check its percent-escapes'));
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

// RFC 6750's b64token: the only characters a bearer token may contain.
const bearerTokenPattern = /^[A-Za-z0-9\-._~+/]+=*$/;
const maxBearerTokenLength = 16_384;

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
    return authenticate(options.credentialVerifiers, headers.authorization);
  }
  requireRequestedWith(headers['x-keyfactor-requested-with']);
  return options.sessions.authenticate(sessionId);
}

async function authenticate(verifiers: CredentialVerifiers, header: string | undefined): Promise<Actor> {
  if (header === undefined) throw new AppError('unauthenticated', 'Authentication is required');
  const separator = header.indexOf(' ');
  const scheme = (separator < 0 ? header : header.slice(0, separator)).toLowerCase();
  const credentials = separator < 0 ? '' : header.slice(separator + 1).trim();
  if (scheme === 'bearer') {
    if (credentials.length > maxBearerTokenLength || !bearerTokenPattern.test(credentials)) {
      throw new AppError('invalid_token', 'The bearer token is not valid');
    }
    return verifiers.bearer(credentials);
  }
  if (scheme !== 'basic' || credentials === '') {
    throw new AppError('unauthenticated', 'Authentication is required');
  }
  const decoded = Buffer.from(credentials, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0)
    throw new AppError('unauthenticated', 'Authentication failed: the user name or password is not valid');
  // Keyfactor clients send DOMAIN\user; local users have no domain, so only the name after it counts.
  const account = decoded.slice(0, colon);
  const username = account.slice(account.lastIndexOf('\\') + 1);
  return verifiers.basic(username, decoded.slice(colon + 1));
}
