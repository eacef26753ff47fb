import Type from 'typebox';
import type { Static } from 'typebox';
import { BoundedString, SecretString } from '../../http/schema-helpers.js';

export const SessionCreateRequest = Type.Object({
  Username: BoundedString(128, { minLength: 1 }),
  Password: SecretString(1024, 1),
});
export type SessionCreateRequest = Static<typeof SessionCreateRequest>;

export const SessionResponse = Type.Object({
  Username: Type.String(),
  Groups: Type.Array(Type.String()),
});
export type SessionResponse = Static<typeof SessionResponse>;
