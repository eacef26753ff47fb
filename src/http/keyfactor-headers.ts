import { AppError } from '../errors/app-error.js';

const versionAliases: Record<string, 1 | 2> = { '1': 1, '1.0': 1, v1: 1, '2': 2, '2.0': 2, v2: 2 };

/** Absent means version 1, as Keyfactor documents; anything we do not serve is refused rather than guessed. */
export function parseApiVersion(header: string | string[] | undefined): 1 | 2 {
  if (header === undefined) return 1;
  const text = (Array.isArray(header) ? header[0] : header)?.trim().toLowerCase() ?? '';
  const version = versionAliases[text];
  if (version === undefined) {
    throw new AppError('validation', "The header 'x-keyfactor-api-version' must be 1 or 2");
  }
  return version;
}

/** Keyfactor requires this header on every API call as a guard against cross-site requests. */
export function requireRequestedWith(header: string | string[] | undefined): void {
  if (header === undefined || header === '' || (Array.isArray(header) && header.length === 0)) {
    throw new AppError(
      'validation',
      "The header 'x-keyfactor-requested-with' is required (use 'APIClient' or 'XMLHttpRequest')",
    );
  }
}

export function isKeyfactorPath(url: string): boolean {
  return (
    url.slice(0, 13).toLowerCase() === '/keyfactorapi' && (url.length === 13 || '/?'.includes(url[13] ?? ''))
  );
}

/**
 * Keyfactor's Go client joins its query onto the path before escaping it, so the server receives
 * `/Entries%3FReturnLimit=10`. Restoring the first escaped '?' lets that client page and filter.
 */
export function restoreEscapedQuery(url: string): string {
  if (url.includes('?')) return url;
  const index = url.search(/%3f/i);
  return index === -1 ? url : `${url.slice(0, index)}?${url.slice(index + 3)}`;
}
