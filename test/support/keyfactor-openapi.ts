import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Checks our responses against the OpenAPI documents Keyfactor Command 25 publishes (kept in
 * ../shared/keyfactor-openapi): every property we return must be declared for that operation's response,
 * with a JSON type the published schema allows. This catches a misspelt or mis-cased field at once.
 */
type Schema = {
  $ref?: string;
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  nullable?: boolean;
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  enum?: unknown[];
  required?: string[];
};

type OpenApiDocument = {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema: Schema }> }> }>
  >;
  components: { schemas: Record<string, Schema> };
};

const sharedDirectory = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'shared',
  'keyfactor-openapi',
);
const documents = new Map<1 | 2, OpenApiDocument>();

function documentFor(version: 1 | 2): OpenApiDocument {
  let document = documents.get(version);
  if (document === undefined) {
    document = JSON.parse(
      readFileSync(join(sharedDirectory, `command-v25-api-v${version}.json`), 'utf8'),
    ) as OpenApiDocument;
    documents.set(version, document);
  }
  return document;
}

function resolve(document: OpenApiDocument, schema: Schema): Schema {
  if (schema.$ref === undefined) return schema;
  const name = schema.$ref.replace('#/components/schemas/', '');
  const target = document.components.schemas[name];
  assert.ok(target !== undefined, `unresolvable $ref ${schema.$ref}`);
  return resolve(document, target);
}

/** The published response schema for an operation, e.g. ('GET', '/PamProviders/{id}', 200). */
export function publishedResponseSchema(version: 1 | 2, method: string, path: string, status = 200): Schema {
  const document = documentFor(version);
  const operation = document.paths[path]?.[method.toLowerCase()];
  assert.ok(operation !== undefined, `Keyfactor publishes no ${method} ${path} in API v${version}`);
  const schema = operation.responses[String(status)]?.content?.['application/json']?.schema;
  assert.ok(schema !== undefined, `${method} ${path} v${version} publishes no JSON body for ${status}`);
  return schema;
}

function check(document: OpenApiDocument, schema: Schema, value: unknown, where: string): void {
  const resolved = resolve(document, schema);
  const variants = resolved.allOf ?? resolved.oneOf ?? resolved.anyOf;
  if (variants !== undefined && resolved.properties === undefined) {
    for (const variant of variants) check(document, variant, value, where);
    return;
  }
  if (value === null) {
    return;
  }
  if (Array.isArray(value)) {
    assert.ok(
      resolved.type === 'array' || resolved.type === undefined,
      `${where} is an array but Keyfactor declares ${resolved.type}`,
    );
    if (resolved.items !== undefined)
      value.forEach((item, index) => check(document, resolved.items as Schema, item, `${where}[${index}]`));
    return;
  }
  if (typeof value === 'object') {
    if (resolved.properties === undefined) return;
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      const property = resolved.properties[key];
      assert.ok(
        property !== undefined,
        `${where}.${key} is not a property Keyfactor declares (${Object.keys(resolved.properties).join(', ')})`,
      );
      check(document, property, item, `${where}.${key}`);
    }
    return;
  }
  const expected = resolved.type;
  if (expected === undefined) return;
  const actual = typeof value === 'number' ? (Number.isInteger(value) ? 'integer' : 'number') : typeof value;
  const compatible = expected === actual || (expected === 'number' && actual === 'integer');
  assert.ok(compatible, `${where} is ${actual} but Keyfactor declares ${expected}`);
}

/** Asserts that a response body only uses fields, with types, that Keyfactor publishes for the operation. */
export function assertKeyfactorShape(
  version: 1 | 2,
  method: string,
  path: string,
  body: unknown,
  status = 200,
): void {
  check(
    documentFor(version),
    publishedResponseSchema(version, method, path, status),
    body,
    `${method} ${path}`,
  );
}
