import { validationError } from '../../errors/app-error.js';

/**
 * What Keyfactor sends back in place of a stored secret property, and what clients (kfutil's migration) send
 * again to mean "keep the value you have".
 */
export const secretMask = '********************';

export const storeSecretLimits = {
  valueMaxLength: 16384,
  parameterCount: 32,
  parameterNameMaxLength: 256,
  parameterValueMaxLength: 4096,
} as const;

/** A KeyfactorAPISecret after reading: what the caller wants done with one secret of a store. */
export type SecretInput =
  | { kind: 'unchanged' }
  | { kind: 'none' }
  | { kind: 'stored'; value: string }
  | { kind: 'reference'; providerId: number; parameters: ReadonlyMap<string, string | null> };

const maxInt32 = 2_147_483_647;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** ASP.NET binds property names without regard to case; so does every reader here. */
function pick(object: Record<string, unknown>, name: string): unknown {
  const wanted = name.toLowerCase();
  let found: unknown = undefined;
  for (const [key, value] of Object.entries(object)) {
    if (key.toLowerCase() !== wanted) continue;
    // The exact spelling wins when a client sends the same name twice in different cases.
    if (key === name) return value;
    found ??= value;
  }
  return found;
}

function hasAny(object: Record<string, unknown>, names: readonly string[]): boolean {
  return names.some((name) => pick(object, name) !== undefined);
}

// Names only the output object (KeyfactorSecret) carries, and the names only input carries.
const outputOnlyNames = ['SecretTypeGuid', 'HasValue', 'IsManaged', 'InstanceGuid'] as const;
const inputNames = ['SecretValue', 'Provider', 'Parameters'] as const;

/** A client that sends back the KeyfactorSecret it read is echoing it, not asking for a change. */
function isEchoedRead(object: Record<string, unknown>): boolean {
  return hasAny(object, outputOnlyNames) && !hasAny(object, inputNames);
}

function readSecretValue(value: string, field: string): SecretInput {
  if (value.length > storeSecretLimits.valueMaxLength) {
    throw validationError(`'${field}' must be at most ${storeSecretLimits.valueMaxLength} characters long`);
  }
  if (value === secretMask) return { kind: 'unchanged' };
  // kfutil sends an empty password as {"SecretValue": null}; an empty string means the same thing.
  if (value === '') return { kind: 'none' };
  return { kind: 'stored', value };
}

function readParameters(raw: unknown, field: string): Map<string, string | null> {
  const parameters = new Map<string, string | null>();
  if (raw === undefined || raw === null) return parameters;
  if (!isPlainObject(raw))
    throw validationError(`'${field}' must be an object of parameter names and values`);
  const entries = Object.entries(raw);
  if (entries.length > storeSecretLimits.parameterCount) {
    throw validationError(`'${field}' must have at most ${storeSecretLimits.parameterCount} parameters`);
  }
  for (const [name, value] of entries) {
    if (name.length > storeSecretLimits.parameterNameMaxLength) {
      throw validationError(
        `'${field}' has a parameter name longer than ${storeSecretLimits.parameterNameMaxLength} characters`,
      );
    }
    if (value !== null && typeof value !== 'string') {
      throw validationError(`'${field}.${name}' must be a string`);
    }
    if (value !== null && value.length > storeSecretLimits.parameterValueMaxLength) {
      throw validationError(
        `'${field}.${name}' must be at most ${storeSecretLimits.parameterValueMaxLength} characters long`,
      );
    }
    const duplicate = [...parameters.keys()].find((known) => known.toLowerCase() === name.toLowerCase());
    if (duplicate !== undefined) throw validationError(`'${field}' names parameter '${name}' more than once`);
    parameters.set(name, value);
  }
  return parameters;
}

/**
 * Reads a KeyfactorAPISecret (`{"SecretValue": ...}`, `{"Provider": n, "Parameters": {...}}` or neither).
 * `field` is the name the caller used for it, so every message points at the exact place in the request.
 * Messages never quote a secret value.
 */
export function parseSecretInput(raw: unknown, field: string): SecretInput {
  if (!isPlainObject(raw)) {
    throw validationError(`'${field}' must be an object with SecretValue, or with Provider and Parameters`);
  }
  const secretValue = pick(raw, 'SecretValue');
  const provider = pick(raw, 'Provider');
  const parametersRaw = pick(raw, 'Parameters');

  if (secretValue !== undefined && secretValue !== null && typeof secretValue !== 'string') {
    throw validationError(`'${field}.SecretValue' must be a string`);
  }
  if (
    provider !== undefined &&
    provider !== null &&
    !(Number.isInteger(provider) && (provider as number) >= 1 && (provider as number) <= maxInt32)
  ) {
    throw validationError(`'${field}.Provider' must be a PAM provider id (a positive integer)`);
  }
  const hasSecretValue = typeof secretValue === 'string';
  const hasProvider = typeof provider === 'number';
  if (hasSecretValue && hasProvider) {
    throw validationError(
      `'${field}' has both SecretValue and Provider; send a stored value or a PAM reference, not both`,
    );
  }
  const parameters = readParameters(parametersRaw, `${field}.Parameters`);
  if (hasProvider) return { kind: 'reference', providerId: provider, parameters };
  if (parameters.size > 0) {
    throw validationError(`'${field}.Parameters' was sent without '${field}.Provider'`);
  }
  if (hasSecretValue) return readSecretValue(secretValue, `${field}.SecretValue`);
  return { kind: 'none' };
}

/**
 * Reads the `Password` of a store create or update. Null or absent keeps the current password (kfutil relies
 * on this), and so does the KeyfactorSecret object a read returned, which clients send back unchanged when
 * they PUT a store they have just read.
 */
export function parsePasswordInput(raw: unknown, field: string): SecretInput {
  if (raw === null || raw === undefined) return { kind: 'unchanged' };
  if (isPlainObject(raw) && isEchoedRead(raw)) return { kind: 'unchanged' };
  return parseSecretInput(raw, field);
}

/**
 * Reads the value of a secret-typed store property from the `Properties` JSON. Accepted forms:
 * `{"value": {KeyfactorAPISecret}}` (either case of `value`), `{"value": "text"}`, a bare KeyfactorAPISecret,
 * a bare string, null, and the KeyfactorSecret object a read returned (which changes nothing).
 */
export function parsePropertySecretInput(raw: unknown, field: string): SecretInput {
  if (raw === null) return { kind: 'none' };
  if (typeof raw === 'string') return readSecretValue(raw, field);
  if (!isPlainObject(raw)) {
    throw validationError(`'${field}' must be an object such as {"value": {"SecretValue": "..."}}`);
  }
  if (isEchoedRead(raw)) return { kind: 'unchanged' };
  const inner = pick(raw, 'value');
  if (inner !== undefined) {
    if (inner === null) return { kind: 'none' };
    if (typeof inner === 'string') return readSecretValue(inner, `${field}.value`);
    return parseSecretInput(inner, `${field}.value`);
  }
  if (hasAny(raw, inputNames)) return parseSecretInput(raw, field);
  throw validationError(`'${field}' must be an object such as {"value": {"SecretValue": "..."}}`);
}
