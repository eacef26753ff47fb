import { createHash } from 'node:crypto';

/**
 * The id of the identity provider behind an authentication scheme: a name-based (version 5 style) UUID of the
 * scheme, so every node, every role claim and the provider's own record agree on it without a lookup.
 * Schemes are unique without regard to case and cannot be renamed, so the id never changes.
 */
export function identityProviderId(scheme: string): string {
  const digest = createHash('sha256')
    .update(`strongroom-identity-provider:${scheme.toLowerCase()}`)
    .digest('hex');
  const variant = ((Number.parseInt(digest.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${digest.slice(0, 8)}-${digest.slice(8, 12)}-5${digest.slice(13, 16)}-${variant}${digest.slice(17, 20)}-${digest.slice(20, 32)}`;
}
