/**
 * Query parameters that can carry a credential: an OAuth authorization code and its state arrive on the portal's
 * sign-in callback, and some clients put tokens or client secrets in a query string even where a server never
 * asks for them there. Their values are left out of the access log; everything else in a URL is logged as sent.
 */
const credentialParameters = new Set(['code', 'state', 'access_token', 'id_token', 'token', 'client_secret']);

/** The URL as the access log may show it. Most requests have no query string and cost one indexOf. */
export function loggableUrl(url: string): string {
  const queryStart = url.indexOf('?');
  if (queryStart < 0) return url;
  const query = url.slice(queryStart + 1);
  const parts = query.split('&').map((part) => {
    const separator = part.indexOf('=');
    const name = separator < 0 ? part : part.slice(0, separator);
    let decodedName = name;
    try {
      decodedName = decodeURIComponent(name);
    } catch {
      // A malformed escape is logged as it came; it cannot match a credential name anyway.
    }
    return separator >= 0 && credentialParameters.has(decodedName.toLowerCase())
      ? `${name}=[redacted]`
      : part;
  });
  return `${url.slice(0, queryStart)}?${parts.join('&')}`;
}
