import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors/app-error.js';
import type { Actor } from '../modules/security/actor.js';

/**
 * What a route needs from its caller. Every route declares one; the server refuses to start otherwise.
 * - public: anyone (the API reference page).
 * - authenticated: any signed-in caller.
 * - permission: the caller must hold it. With `scoped`, holding it for at least one object (a provider or a
 *   container) is enough to reach the route, and the service then checks the object itself.
 */
export type RouteAccess =
  | { kind: 'public' }
  | { kind: 'authenticated' }
  | { kind: 'permission'; permission: string; scoped?: boolean };

export const publicAccess: RouteAccess = { kind: 'public' };
export const authenticatedAccess: RouteAccess = { kind: 'authenticated' };
export const requirePermission = (permission: string, options: { scoped?: boolean } = {}): RouteAccess => ({
  kind: 'permission',
  permission,
  ...options,
});

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
  interface FastifyRequest {
    actor: Actor | undefined;
    apiVersion: 1 | 2;
    /** The matched route's path template, for metrics; undefined when no route matched. */
    routeTemplate: string | undefined;
  }
}

export function actorOf(request: FastifyRequest): Actor {
  if (request.actor === undefined) throw new AppError('unauthenticated', 'Authentication is required');
  return request.actor;
}

export function isAllowed(actor: Actor, access: RouteAccess): boolean {
  if (access.kind !== 'permission') return true;
  if (access.scoped !== true) return actor.permissions.has(access.permission);
  const scope = actor.permissions.scope(access.permission);
  return scope.all || scope.objectIds.size > 0;
}
