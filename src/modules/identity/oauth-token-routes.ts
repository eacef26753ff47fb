import { isAppError } from '../../errors/app-error.js';
import type { ApiInstance, RouteRegistrar } from '../../http/app.js';
import { actorOf, publicAccess, requirePermission } from '../../http/route-access.js';
import type { SigningKeyService } from './signing-key-service.js';
import type { OAuthTokenService } from './oauth-token-service.js';
import { OAuthError } from './oauth-token-service.js';
import {
  KeySetResponse,
  OpenJsonObject,
  SigningKeyRotationResponse,
  TokenErrorResponse,
  TokenSuccessResponse,
} from './identity-schemas.js';

const tags = ['OAuth'];

/**
 * The built-in authorization server's endpoints. The token endpoint lives in its own encapsulated context:
 * only it reads form bodies (RFC 6749 requires them), and only it answers errors in OAuth's shape.
 */
export function oauthTokenRoutes(tokens: OAuthTokenService, signingKeys: SigningKeyService): RouteRegistrar {
  return (app) => {
    void app.register(tokenEndpoint(tokens));

    app.get(
      '/strongroom/oauth/jwks',
      {
        schema: {
          tags,
          summary: 'The public keys tokens of the built-in issuer are signed with',
          response: { 200: KeySetResponse },
        },
        config: { access: publicAccess },
      },
      async () => signingKeys.publishedKeys(),
    );

    for (const url of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
      app.get(
        url,
        {
          schema: {
            tags,
            summary: 'The built-in issuer’s metadata (RFC 8414)',
            response: { 200: OpenJsonObject },
          },
          config: { access: publicAccess },
        },
        async () => tokens.metadata(),
      );
    }

    app.post(
      '/strongroom/oauth/signing-key/rotate',
      {
        schema: {
          tags,
          summary: 'Starts signing with a new key; the old one stays published until its tokens expire',
          response: { 200: SigningKeyRotationResponse },
        },
        config: { access: requirePermission('/security/modify/') },
      },
      async (request) => {
        const rotated = await signingKeys.rotate(actorOf(request));
        return { KeyId: rotated.kid, RetiredKeyIds: rotated.retired };
      },
    );
  };
}

function tokenEndpoint(tokens: OAuthTokenService) {
  return async (app: ApiInstance) => {
    app.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string' },
      (_request, body, done) => {
        const fields: Record<string, string | string[]> = {};
        for (const [name, value] of new URLSearchParams(body as string)) {
          const previous = fields[name];
          fields[name] =
            previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
        }
        done(null, fields);
      },
    );

    app.setErrorHandler((error, request, reply) => {
      void reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
      if (error instanceof OAuthError) {
        if (error.error === 'invalid_client' && request.headers.authorization !== undefined) {
          void reply.header('WWW-Authenticate', 'Basic realm="Strongroom"');
        }
        return reply.status(error.status).send({ error: error.error, error_description: error.message });
      }
      const isRequestProblem = isAppError(error)
        ? error.code !== 'internal'
        : (error as { statusCode?: number }).statusCode !== undefined &&
          (error as { statusCode: number }).statusCode < 500;
      if (isRequestProblem) {
        const description =
          (error as { code?: string }).code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
            ? 'The request body must be application/x-www-form-urlencoded'
            : 'The request could not be read';
        return reply.status(400).send({ error: 'invalid_request', error_description: description });
      }
      request.log.error({ err: error }, 'unexpected failure');
      return reply.status(500).send({
        error: 'server_error',
        error_description: `An unexpected error occurred (request id ${String(request.id)})`,
      });
    });

    app.post(
      '/strongroom/oauth/token',
      {
        schema: {
          tags,
          summary: 'Issues an access token (client_credentials; client_secret_basic or client_secret_post)',
          consumes: ['application/x-www-form-urlencoded'],
          response: { 200: TokenSuccessResponse, 400: TokenErrorResponse, 401: TokenErrorResponse },
        },
        config: { access: publicAccess },
      },
      async (request, reply) => {
        const contentType = request.headers['content-type']?.toLowerCase() ?? '';
        if (!contentType.startsWith('application/x-www-form-urlencoded')) {
          throw new OAuthError(
            'invalid_request',
            'The request body must be application/x-www-form-urlencoded',
          );
        }
        const fields = (request.body ?? {}) as Record<string, string | string[]>;
        const issued = await tokens.issue({ authorization: request.headers.authorization, fields });
        void reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
        return issued;
      },
    );
  };
}
