import { isIP } from 'node:net';
import type { JSONWebKeySet } from 'jose';
import { AppError } from '../../errors/app-error.js';

const fetchTimeoutMs = 5_000;
const maxDocumentBytes = 256 * 1024;

/** Only https reaches a real identity provider; plain http is allowed for one on this machine. */
export function isAllowedProviderUrl(text: string): boolean {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  if (url.username !== '' || url.password !== '' || url.hash !== '') return false;
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && isLoopback(url.hostname);
}

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/** A failure to reach or read a provider's document, worded for the caller who configured it. */
export class ProviderFetchError extends Error {}

/**
 * GETs a JSON document from an identity provider: bounded in time and size, no redirects (a redirect could
 * lead off https), and every failure reduced to a sentence that names the URL but quotes nothing it returned.
 */
export async function fetchProviderJson(url: string): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, {
      redirect: 'error',
      signal: AbortSignal.timeout(fetchTimeoutMs),
      headers: { accept: 'application/json' },
    });
  } catch (error) {
    const reason =
      error instanceof Error && error.name === 'TimeoutError'
        ? `it did not answer within ${fetchTimeoutMs / 1000} seconds`
        : 'it could not be reached';
    throw new ProviderFetchError(`${url} could not be fetched: ${reason}`);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new ProviderFetchError(`${url} answered HTTP ${response.status}`);
  }
  const text = await readBounded(response, url);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ProviderFetchError(`${url} did not answer with JSON`);
  }
}

async function readBounded(response: Response, url: string): Promise<string> {
  const reader = response.body?.getReader();
  if (reader === undefined) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxDocumentBytes) {
      await reader.cancel();
      throw new ProviderFetchError(`${url} answered with more than ${maxDocumentBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function asKeySet(document: unknown, url: string): JSONWebKeySet {
  const keys = (document as { keys?: unknown } | null)?.keys;
  if (typeof document !== 'object' || document === null || !Array.isArray(keys)) {
    throw new ProviderFetchError(`${url} is not a JWK Set (it has no "keys" array)`);
  }
  return {
    keys: keys.filter((key): key is JSONWebKeySet['keys'][number] => typeof key === 'object' && key !== null),
  };
}

const withoutTrailingSlash = (text: string) => text.replace(/\/+$/, '');

/**
 * Fetches and checks an Authority's discovery document as Keyfactor does before saving a provider: it must
 * be reachable and parse, name the Authority as its issuer, and point to a reachable JWK Set. Runs before
 * any transaction; each problem becomes a 400 that names it.
 */
export async function discoverProvider(authority: string): Promise<{ jwksUri: string; jwks: JSONWebKeySet }> {
  const problem = (message: string) => new AppError('validation', `Authority '${authority}': ${message}`);
  if (!isAllowedProviderUrl(authority)) {
    throw problem('must be an https URL (http is accepted only for loopback addresses)');
  }
  const discoveryUrl = `${withoutTrailingSlash(authority)}/.well-known/openid-configuration`;
  try {
    const document = await fetchProviderJson(discoveryUrl);
    if (typeof document !== 'object' || document === null) {
      throw problem('the discovery document is not a JSON object');
    }
    const { issuer, jwks_uri: jwksUri } = document as { issuer?: unknown; jwks_uri?: unknown };
    if (typeof issuer !== 'string' || withoutTrailingSlash(issuer) !== withoutTrailingSlash(authority)) {
      throw problem(
        `the discovery document names issuer '${typeof issuer === 'string' ? issuer.slice(0, 200) : ''}', which does not equal the Authority`,
      );
    }
    if (typeof jwksUri !== 'string' || !isAllowedProviderUrl(jwksUri)) {
      throw problem('the discovery document has no usable jwks_uri (https, or http on loopback)');
    }
    const jwks = asKeySet(await fetchProviderJson(jwksUri), jwksUri);
    return { jwksUri, jwks };
  } catch (error) {
    if (error instanceof ProviderFetchError) throw problem(error.message);
    throw error;
  }
}
