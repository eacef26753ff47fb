import Type from 'typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteRegistrar } from '../../http/app.js';
import { requireRequestedWith } from '../../http/keyfactor-headers.js';
import { actorOf, authenticatedAccess, publicAccess } from '../../http/route-access.js';
import { AppError } from '../../errors/app-error.js';
import type { Actor } from '../security/actor.js';
import { clearedSessionCookie, sessionCookie, sessionIdFromCookies } from './session-cookie.js';
import type { SessionResponse } from './session-schemas.js';
import { SessionCreateRequest, SessionResponse as SessionResponseSchema } from './session-schemas.js';
import type { SessionService } from './session-service.js';

const tags = ['Strongroom sessions'];

function toResponse(actor: Actor): SessionResponse {
  return { Username: actor.username, Groups: [...actor.groups] };
}

function cookieOptions(request: FastifyRequest) {
  return { secure: request.protocol === 'https' };
}

function noStore(reply: FastifyReply): void {
  void reply.header('Cache-Control', 'no-store');
}

/** Browser sign-in for the portal: a session cookie instead of a password on every request. */
export function sessionRoutes(service: SessionService): RouteRegistrar {
  return (app) => {
    app.post(
      '/strongroom/session',
      {
        schema: {
          tags,
          summary: 'Signs in with a user name and password and sets an HttpOnly session cookie',
          description:
            "Refused after repeated failures exactly as Basic authentication is. Needs the 'x-keyfactor-requested-with' header, so a form on another site cannot sign a browser in.",
          body: SessionCreateRequest,
          response: { 200: SessionResponseSchema },
        },
        config: { access: publicAccess },
      },
      async (request, reply) => {
        requireRequestedWith(request.headers['x-keyfactor-requested-with']);
        const { sessionId, actor } = await service.signIn(request.body.Username, request.body.Password);
        noStore(reply);
        void reply.header('Set-Cookie', sessionCookie(sessionId, cookieOptions(request)));
        return toResponse(actor);
      },
    );

    app.get(
      '/strongroom/session',
      {
        schema: { tags, summary: 'Who the caller is signed in as', response: { 200: SessionResponseSchema } },
        config: { access: authenticatedAccess },
      },
      async (request, reply) => {
        noStore(reply);
        return toResponse(actorOf(request));
      },
    );

    app.delete(
      '/strongroom/session',
      {
        schema: {
          tags,
          summary: 'Signs out: ends the session on every node and clears the cookie',
          response: { 204: Type.Null() },
        },
        config: { access: authenticatedAccess },
      },
      async (request, reply) => {
        const sessionId = sessionIdFromCookies(request.headers.cookie);
        if (sessionId === undefined) {
          throw new AppError(
            'validation',
            'This request carries no session cookie, so there is no session to end',
          );
        }
        await service.signOut(actorOf(request), sessionId);
        noStore(reply);
        void reply.header('Set-Cookie', clearedSessionCookie(cookieOptions(request)));
        return reply.status(204).send(null);
      },
    );
  };
}
