import { AppError } from '../errors/app-error.js';

/**
 * Keyfactor's server (ASP.NET) binds JSON property names and query parameter names without regard to case,
 * ignores properties it does not know, and accepts enum names where numbers are declared. Real clients
 * depend on all three (kfutil sends camelCase, the Go client sends `StorePath` for `Storepath`). This
 * rewrites an incoming value into the exact shape of the route's schema before validation runs, so the
 * schema stays the single source of truth.
 */
export type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  additionalProperties?: boolean | JsonSchema;
  patternProperties?: Record<string, JsonSchema>;
  'x-enum-names'?: Record<string, number>;
};

const propertyIndexCache = new WeakMap<JsonSchema, Map<string, string>>();

function propertyIndex(schema: JsonSchema): Map<string, string> {
  let index = propertyIndexCache.get(schema);
  if (index === undefined) {
    index = new Map();
    for (const variant of objectVariants(schema)) {
      for (const name of Object.keys(variant.properties ?? {})) index.set(name.toLowerCase(), name);
    }
    propertyIndexCache.set(schema, index);
  }
  return index;
}

function objectVariants(schema: JsonSchema): JsonSchema[] {
  const variants = [schema, ...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])];
  return variants.filter((variant) => variant.properties !== undefined);
}

function propertySchema(schema: JsonSchema, name: string): JsonSchema | undefined {
  for (const variant of objectVariants(schema)) {
    const found = variant.properties?.[name];
    if (found !== undefined) return found;
  }
  return undefined;
}

function mapSchema(schema: JsonSchema): JsonSchema | undefined {
  if (typeof schema.additionalProperties === 'object') return schema.additionalProperties;
  const patterns = Object.values(schema.patternProperties ?? {});
  return patterns[0];
}

function enumNames(schema: JsonSchema): Record<string, number> | undefined {
  return schema['x-enum-names'] ?? schema.anyOf?.find((variant) => variant['x-enum-names'])?.['x-enum-names'];
}

export function normalizeToSchema(value: unknown, schema: JsonSchema | undefined): unknown {
  if (schema === undefined || value === null || value === undefined) return value;

  const names = enumNames(schema);
  if (names !== undefined && typeof value === 'string') {
    const wanted = value.trim().toLowerCase();
    for (const [name, number] of Object.entries(names)) if (name.toLowerCase() === wanted) return number;
    return value;
  }

  if (Array.isArray(value)) {
    const items = schema.items ?? schema.anyOf?.find((variant) => variant.items)?.items;
    return items === undefined ? value : value.map((item) => normalizeToSchema(item, items));
  }

  if (typeof value !== 'object') return value;

  const index = propertyIndex(schema);
  const valuesSchema = mapSchema(schema);
  if (index.size === 0) {
    if (valuesSchema === undefined) return value;
    const mapped: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) mapped[key] = normalizeToSchema(item, valuesSchema);
    return mapped;
  }

  const normalized: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const canonical = index.get(key.toLowerCase());
    if (canonical === undefined) continue;
    // ASP.NET would keep one of the two silently; a caller who sent both meant something we cannot guess.
    if (canonical in normalized) {
      throw new AppError(
        'validation',
        `The property '${canonical}' is given more than once, in different case`,
      );
    }
    normalized[canonical] = normalizeToSchema(item, propertySchema(schema, canonical));
  }
  return normalized;
}

/** Query names also arrive with the `pq.` prefix older Keyfactor SDKs send (`pq.returnLimit`). */
export function normalizeQuery(
  query: Record<string, unknown>,
  schema: JsonSchema | undefined,
): Record<string, unknown> {
  const unprefixed: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(query)) {
    const name = key.toLowerCase().startsWith('pq.') ? key.slice(3) : key;
    unprefixed[name] = Array.isArray(item) ? item[item.length - 1] : item;
  }
  return normalizeToSchema(unprefixed, schema) as Record<string, unknown>;
}
