import Type from 'typebox';
import type { RouteRegistrar } from '../../http/app.js';
import { actorOf, requirePermission } from '../../http/route-access.js';
import type { UserRecord } from './user-repository.js';
import type { UserService } from './user-service.js';
import type { UserResponse } from './user-schemas.js';
import {
  UserCreateRequest,
  UserResponse as UserResponseSchema,
  UserUpdateRequest,
  UsernameParams,
} from './user-schemas.js';

const tags = ['Strongroom users'];

function toResponse(user: UserRecord): UserResponse {
  return {
    Id: user.id,
    Username: user.username,
    Groups: user.groups,
    CreatedAt: user.createdAt,
    UpdatedAt: user.updatedAt,
  };
}

/** Local users: a Strongroom extension (Keyfactor delegates identities to Active Directory or OAuth). */
export function userRoutes(service: UserService): RouteRegistrar {
  return (app) => {
    app.get(
      '/strongroom/users',
      {
        schema: { tags, summary: 'Lists local users', response: { 200: Type.Array(UserResponseSchema) } },
        config: { access: requirePermission('/security/read/') },
      },
      async () => (await service.list()).map(toResponse),
    );

    app.get(
      '/strongroom/users/:username',
      {
        schema: {
          tags,
          summary: 'Gets one local user',
          params: UsernameParams,
          response: { 200: UserResponseSchema },
        },
        config: { access: requirePermission('/security/read/') },
      },
      async (request) => toResponse(await service.get(request.params.username)),
    );

    app.post(
      '/strongroom/users',
      {
        schema: {
          tags,
          summary: 'Creates a local user (the password is stored as an argon2id hash and never returned)',
          body: UserCreateRequest,
          response: { 200: UserResponseSchema },
        },
        config: { access: requirePermission('/security/modify/') },
      },
      async (request) =>
        toResponse(
          await service.create(actorOf(request), {
            username: request.body.Username,
            password: request.body.Password,
            groups: request.body.Groups ?? [],
          }),
        ),
    );

    app.put(
      '/strongroom/users/:username',
      {
        schema: {
          tags,
          summary: 'Changes a user: a new password when given, and the full list of groups',
          params: UsernameParams,
          body: UserUpdateRequest,
          response: { 200: UserResponseSchema },
        },
        config: { access: requirePermission('/security/modify/') },
      },
      async (request) =>
        toResponse(
          await service.update(actorOf(request), request.params.username, {
            username: request.body.Username,
            password: request.body.Password,
            groups: request.body.Groups,
          }),
        ),
    );

    app.delete(
      '/strongroom/users/:username',
      {
        schema: {
          tags,
          summary: 'Deletes a local user',
          params: UsernameParams,
          response: { 204: Type.Null() },
        },
        config: { access: requirePermission('/security/modify/') },
      },
      async (request, reply) => {
        await service.remove(actorOf(request), request.params.username);
        return reply.status(204).send(null);
      },
    );
  };
}
