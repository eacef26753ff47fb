import Type from 'typebox';
import type { FastifyRequest } from 'fastify';
import type { RouteRegistrar } from '../../http/app.js';
import { publicAccess } from '../../http/route-access.js';
import type { ExternalSignInService } from './external-sign-in-service.js';
import { sessionCookie } from './session-cookie.js';

const tags = ['Strongroom sessions'];
const callbackPath = '/strongroom/session/external/callback';
const attemptCookieName = 'strongroom_sign_in';

const SignInProviderList = Type.Array(
  Type.Object({ AuthenticationScheme: Type.String(), DisplayName: Type.String() }),
);

/** The provider's answer: other parameters it adds (session_state and the like) are ignored. */
const CallbackQuery = Type.Object(
  {
    state: Type.Optional(Type.String({ maxLength: 512 })),
    code: Type.Optional(Type.String({ maxLength: 4096 })),
    iss: Type.Optional(Type.String({ maxLength: 2048 })),
    error: Type.Optional(Type.String({ maxLength: 256 })),
  },
  { additionalProperties: true },
);

function attemptCookieOf(header: string | undefined): string | undefined {
  for (const pair of (header ?? '').split(';')) {
    const separator = pair.indexOf('=');
    if (separator !== -1 && pair.slice(0, separator).trim() === attemptCookieName) {
      const value = pair.slice(separator + 1).trim();
      return value === '' ? undefined : value;
    }
  }
  return undefined;
}

/**
 * The PKCE verifier's cookie: Lax, because the provider's redirect back is a cross-site navigation that a
 * Strict cookie would not ride on; scoped to the callback and to the attempt's ten minutes.
 */
function attemptCookie(value: string, secure: boolean, maxAge: number): string {
  return [
    `${attemptCookieName}=${value}`,
    `Path=${callbackPath}`,
    'HttpOnly',
    'SameSite=Lax',
    `Max-Age=${maxAge}`,
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}

/**
 * "Sign in with <provider>" for the portal. Both navigations are public: the caller has no session yet, and
 * neither carries the requested-with header (a browser cannot add one to a redirect).
 */
export function externalSignInRoutes(
  service: ExternalSignInService,
  publicUrl: string | undefined,
): RouteRegistrar {
  const redirectUriOf = (request: FastifyRequest) =>
    `${publicUrl ?? `${request.protocol}://${request.host}`}${callbackPath}`;

  return (app) => {
    app.get(
      '/strongroom/session/providers',
      {
        schema: {
          tags,
          summary: 'The external identity providers the portal offers "Sign in with" for',
          response: { 200: SignInProviderList },
        },
        config: { access: publicAccess },
      },
      async () =>
        (await service.providers()).map((provider) => ({
          AuthenticationScheme: provider.scheme,
          DisplayName: provider.displayName,
        })),
    );

    app.get(
      callbackPath,
      {
        schema: {
          tags,
          summary:
            'Where the identity provider sends the browser back; opens a session and goes to the portal',
          querystring: CallbackQuery,
        },
        config: { access: publicAccess },
      },
      async (request, reply) => {
        const secure = request.protocol === 'https';
        const { sessionId } = await service.finish(
          request.query,
          attemptCookieOf(request.headers.cookie),
          redirectUriOf(request),
        );
        void reply.header('Cache-Control', 'no-store');
        void reply.header('Set-Cookie', [sessionCookie(sessionId, { secure }), attemptCookie('', secure, 0)]);
        return reply.redirect('/portal/', 302);
      },
    );

    app.get(
      '/strongroom/session/external/:scheme',
      {
        schema: {
          tags,
          summary: 'Starts a sign-in at an external identity provider (authorization code with PKCE)',
          params: Type.Object({ scheme: Type.String({ minLength: 1, maxLength: 128 }) }),
        },
        config: { access: publicAccess },
      },
      async (request, reply) => {
        const { location, verifier } = await service.start(request.params.scheme, redirectUriOf(request));
        void reply.header('Cache-Control', 'no-store');
        void reply.header('Set-Cookie', attemptCookie(verifier, request.protocol === 'https', 600));
        return reply.redirect(location, 302);
      },
    );
  };
}
