import Type from 'typebox';
import type { TSchema } from 'typebox';

/**
 * Bounded building blocks for every request and response schema. Everything that comes from outside has
 * a length, size or range limit, and these are the one place those limits are spelled.
 */
export const Int32 = (options: { minimum?: number; maximum?: number; description?: string } = {}) =>
  Type.Integer({ minimum: -2147483648, maximum: 2147483647, ...options });

export const PositiveInt32 = (description?: string) =>
  Type.Integer({ minimum: 1, maximum: 2147483647, ...(description === undefined ? {} : { description }) });

export const BoundedString = (
  maxLength: number,
  options: { minLength?: number; description?: string } = {},
) => Type.String({ maxLength, ...options });

export const Guid = (description?: string) =>
  Type.String({
    format: 'uuid',
    maxLength: 36,
    ...(description === undefined ? {} : { description }),
  });

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const BoundedArray = <T extends TSchema>(items: T, maxItems: number) =>
  Type.Array(items, { maxItems });

/** A secret a client sends: bounded, and marked so logs, docs and the canary suite know to treat it as one. */
export const SecretString = (maxLength = 65536, minLength = 0) =>
  Type.String({ maxLength, minLength, 'x-secret': true, description: 'Write-only. Never returned.' });

/**
 * An enum Keyfactor accepts as a number or by name ("Secret" or 3). Responses always carry the number;
 * the request normaliser turns names into numbers before validation.
 */
export function NamedIntegerEnum<const T extends Record<string, number>>(names: T, description?: string) {
  const values = [...new Set(Object.values(names))];
  return Type.Union(
    values.map((value) => Type.Literal(value)),
    { 'x-enum-names': names, ...(description === undefined ? {} : { description }) },
  );
}

/** Keyfactor's error body. `Message` is always a string because Keyfactor's own clients read it as one. */
export const ErrorBody = Type.Object(
  {
    ErrorCode: Type.String(),
    Message: Type.String(),
  },
  { $id: 'ErrorBody' },
);

export const PagingQuery = {
  QueryString: Type.Optional(BoundedString(4000, { description: 'Filter, e.g. SecretName -contains "db"' })),
  PageReturned: Type.Optional(Type.Integer({ minimum: 1, maximum: 2147483647, default: 1 })),
  ReturnLimit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000, default: 50 })),
  SortField: Type.Optional(BoundedString(100)),
  SortAscending: Type.Optional(
    Type.Union([Type.Literal(0), Type.Literal(1)], { description: '0 = ascending, 1 = descending' }),
  ),
};
