import { Ajv } from 'ajv';
import type { ErrorObject, Options, ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

// ajv-formats ships CommonJS; under NodeNext its default export arrives wrapped.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

function createAjv(options: Options): Ajv {
  // verbose keeps each failing schema on its error, so a message can list an enum's accepted names.
  const ajv = new Ajv({ allErrors: false, useDefaults: true, strict: false, verbose: true, ...options });
  addFormats(ajv);
  return ajv;
}

// Bodies are never coerced: a number sent where a string is declared is a client error, not a string.
const bodyAjv = createAjv({ coerceTypes: false });
// Query strings and path parameters are text on the wire, so '50' must become 50.
const textAjv = createAjv({ coerceTypes: true });

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? bodyAjv : textAjv;
  return compiledOnFirstUse(() => ajv.compile(schema as object));
};

/**
 * Compiling every route's schemas when the server starts took about half a second, most of its start-up, for
 * routes a process may not see for minutes; each is compiled on its first request instead. Fastify reads
 * `errors` after a failed check, and passes the parent object (which lets Ajv coerce a root value) only to a
 * function with `schemaEnv`, so both come from the compiled function.
 */
function compiledOnFirstUse(compile: () => ValidateFunction) {
  let compiled: ValidateFunction | undefined;
  const current = () => (compiled ??= compile());
  const validate = (data: unknown, dataContext?: Parameters<ValidateFunction>[1]) =>
    current()(data, dataContext);
  return Object.defineProperties(validate, {
    errors: { get: () => current().errors },
    schemaEnv: { get: () => current().schemaEnv },
  });
}

const partNames: Record<string, string> = {
  body: 'request body',
  querystring: 'query string',
  params: 'path',
  headers: 'headers',
};

type UnionSchema = { anyOf?: { type?: unknown }[]; 'x-enum-names'?: Record<string, number> };

/**
 * A union reports each branch's failure before its own. For an enum the union's verdict (with the accepted
 * names) is what a caller can act on; for `X | null` the failure of X says more; otherwise the union's.
 */
function mostUsefulError(errors: readonly ErrorObject[]): ErrorObject | undefined {
  const unions = errors.filter((candidate) => candidate.keyword === 'anyOf');
  const enumUnion = unions.find((union) => (union.parentSchema as UnionSchema | undefined)?.['x-enum-names']);
  if (enumUnion !== undefined) return enumUnion;
  const union = unions[0];
  const branches = (union?.parentSchema as UnionSchema | undefined)?.anyOf ?? [];
  const isNullable = branches.length === 2 && branches.some((branch) => branch.type === 'null');
  return union !== undefined && !isNullable ? union : errors[0];
}

/**
 * Turns the first schema failure into a sentence that names the field. It never quotes the offending value:
 * the value may be a secret.
 */
export function describeValidationError(errors: readonly ErrorObject[], part: string | undefined): string {
  const error = mostUsefulError(errors);
  const where = partNames[part ?? 'body'] ?? 'request';
  if (error === undefined) return `The ${where} is invalid`;
  const path = error.instancePath
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
  const field = (name: string) => (name === '' ? `The ${where}` : `'${name}'`);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required': {
      const missing = String(params.missingProperty);
      return `${field(path === '' ? missing : `${path}.${missing}`)} is required`;
    }
    case 'maxLength':
      return `${field(path)} must be at most ${String(params.limit)} characters long`;
    case 'minLength':
      return Number(params.limit) === 1
        ? `${field(path)} must not be empty`
        : `${field(path)} must be at least ${String(params.limit)} characters long`;
    case 'maxItems':
      return `${field(path)} must have at most ${String(params.limit)} items`;
    case 'minItems':
      return `${field(path)} must have at least ${String(params.limit)} items`;
    case 'type':
      return `${field(path)} must be of type ${String(params.type)}`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `${field(path)} must be ${String(params.comparison)} ${String(params.limit)}`;
    case 'format':
      return `${field(path)} must be a valid ${String(params.format) === 'uuid' ? 'GUID' : String(params.format)}`;
    case 'const':
    case 'enum':
    case 'anyOf': {
      const names = (error.parentSchema as { 'x-enum-names'?: Record<string, number> } | undefined)?.[
        'x-enum-names'
      ];
      const accepted =
        names === undefined
          ? ''
          : `; use one of ${Object.entries(names)
              .map(([name, value]) => `${name} (${value})`)
              .join(', ')}`;
      return `${field(path)} has a value that is not allowed${accepted}`;
    }
    case 'pattern':
      return `${field(path)} has an invalid format`;
    default:
      return `${field(path)} is invalid`;
  }
}
