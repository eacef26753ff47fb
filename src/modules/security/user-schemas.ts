import Type from 'typebox';
import type { Static } from 'typebox';
import { BoundedArray, BoundedString, SecretString } from '../../http/schema-helpers.js';

const Username = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._@-]+$' });
const Groups = BoundedArray(BoundedString(256, { minLength: 1 }), 100);
const Password = SecretString(1024, 12);

export const UserCreateRequest = Type.Object({
  Username,
  Password,
  Groups: Type.Optional(Groups),
});
export type UserCreateRequest = Static<typeof UserCreateRequest>;

export const UserUpdateRequest = Type.Object({
  Username: Type.Optional(Username),
  Password: Type.Optional(Type.Union([Password, Type.Null()])),
  Groups: Type.Optional(Groups),
});
export type UserUpdateRequest = Static<typeof UserUpdateRequest>;

export const UserResponse = Type.Object({
  Id: Type.Integer(),
  Username: Type.String(),
  Groups: Type.Array(Type.String()),
  CreatedAt: Type.String({ format: 'date-time' }),
  UpdatedAt: Type.String({ format: 'date-time' }),
});
export type UserResponse = Static<typeof UserResponse>;

export const UsernameParams = Type.Object({ username: BoundedString(128, { minLength: 1 }) });
