import { validationError } from '../../errors/app-error.js';
import type { SecretInput } from './store-secret-input.js';
import { parsePropertySecretInput } from './store-secret-input.js';
import type { StorePropertyRule } from './store-type-model.js';
import { storePropertyTypes } from './store-type-model.js';

export const storePropertyLimits = {
  textMaxLength: 131072,
  count: 100,
  nameMaxLength: 256,
  plainValueMaxLength: 8192,
} as const;

export interface ParsedStoreProperties {
  /** Non-secret properties under the names the type spells them, in the order sent. */
  plain: Map<string, string>;
  /** Secret properties by canonical name. */
  secrets: Map<string, SecretInput>;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Keyfactor's older input form wraps each value as {"value": v}; the current one sends v itself. */
function unwrapPlainValue(raw: unknown, field: string): unknown {
  if (!isPlainObject(raw)) return raw;
  const keys = Object.keys(raw);
  if (keys.length === 1 && keys[0]?.toLowerCase() === 'value') {
    const inner = raw[keys[0]];
    if (!isPlainObject(inner)) return inner;
  }
  throw validationError(
    `'${field}' is not a secret property; send a plain value such as "text" or {"value": "text"}`,
  );
}

function readPlainValue(raw: unknown, rule: StorePropertyRule, field: string): string | undefined {
  const value = unwrapPlainValue(raw, field);
  if (value === null || value === undefined) return undefined;
  if (rule.type === storePropertyTypes.Bool) {
    const text =
      typeof value === 'boolean' ? String(value) : typeof value === 'string' ? value.toLowerCase() : '';
    if (text !== 'true' && text !== 'false') throw validationError(`'${field}' must be true or false`);
    return text;
  }
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return String(value);
  if (typeof value !== 'string') throw validationError(`'${field}' must be a string`);
  if (value.length > storePropertyLimits.plainValueMaxLength) {
    throw validationError(
      `'${field}' must be at most ${storePropertyLimits.plainValueMaxLength} characters long`,
    );
  }
  return value;
}

/**
 * Reads a store's `Properties` (a JSON object serialised into a string) against the properties its type
 * defines. A name the type does not define is refused rather than kept: it could be a secret that would
 * otherwise be stored as plain text. `typeLabel` names the type in messages.
 */
export function parseStoreProperties(
  text: string | null | undefined,
  rules: readonly StorePropertyRule[],
  typeLabel: string,
): ParsedStoreProperties {
  const parsed: ParsedStoreProperties = { plain: new Map(), secrets: new Map() };
  const sent = new Set<string>();
  if (text !== null && text !== undefined && text.trim() !== '') {
    if (text.length > storePropertyLimits.textMaxLength) {
      throw validationError(
        `'Properties' must be at most ${storePropertyLimits.textMaxLength} characters long`,
      );
    }
    let object: unknown;
    try {
      object = JSON.parse(text);
    } catch {
      // The parser's own message quotes the text, which may hold a secret.
      throw validationError(
        "'Properties' is not valid JSON; it must be a JSON object serialized as a string",
      );
    }
    if (!isPlainObject(object)) {
      throw validationError("'Properties' must be a JSON object serialized as a string");
    }
    const entries = Object.entries(object);
    if (entries.length > storePropertyLimits.count) {
      throw validationError(`'Properties' must have at most ${storePropertyLimits.count} properties`);
    }
    for (const [name, raw] of entries) {
      if (name.length > storePropertyLimits.nameMaxLength) {
        throw validationError(
          `'Properties' has a property name longer than ${storePropertyLimits.nameMaxLength} characters`,
        );
      }
      const rule = rules.find((candidate) => candidate.name.toLowerCase() === name.toLowerCase());
      if (rule === undefined) {
        throw validationError(`Property '${name}' is not defined by ${typeLabel}`);
      }
      if (sent.has(rule.name)) throw validationError(`'Properties' names '${rule.name}' more than once`);
      sent.add(rule.name);
      const field = `Properties.${rule.name}`;
      if (rule.type === storePropertyTypes.Secret) {
        parsed.secrets.set(rule.name, parsePropertySecretInput(raw, field));
        continue;
      }
      const value = readPlainValue(raw, rule, field);
      if (value !== undefined) parsed.plain.set(rule.name, value);
    }
  }
  for (const rule of rules) {
    const present =
      rule.type === storePropertyTypes.Secret ? parsed.secrets.has(rule.name) : parsed.plain.has(rule.name);
    if (rule.required && !present)
      throw validationError(`Property '${rule.name}' is required by ${typeLabel}`);
  }
  return parsed;
}
