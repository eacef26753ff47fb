/** The cookie that carries a portal session's id. Only the browser and the server's hash of it know the id. */
export const sessionCookieName = 'strongroom_session';

/** The session id a Cookie header carries, if any. Cookie values are opaque here: no decoding. */
export function sessionIdFromCookies(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  for (const pair of header.split(';')) {
    const separator = pair.indexOf('=');
    if (separator === -1) continue;
    if (pair.slice(0, separator).trim() !== sessionCookieName) continue;
    const value = pair.slice(separator + 1).trim();
    return value === '' ? undefined : value;
  }
  return undefined;
}

/**
 * HttpOnly keeps the id from page scripts, SameSite=Strict keeps other sites' requests from carrying it, and
 * Secure keeps it off plain HTTP whenever the portal itself was reached over TLS. The cookie lives as long as
 * the browser runs; the server's idle and absolute timeouts decide when it stops working.
 */
export function sessionCookie(sessionId: string, options: { secure: boolean }): string {
  return [
    `${sessionCookieName}=${sessionId}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    ...(options.secure ? ['Secure'] : []),
  ].join('; ');
}

export function clearedSessionCookie(options: { secure: boolean }): string {
  return [
    `${sessionCookieName}=`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    'Max-Age=0',
    ...(options.secure ? ['Secure'] : []),
  ].join('; ');
}
