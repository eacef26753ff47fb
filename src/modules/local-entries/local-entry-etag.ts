/**
 * An entry's entity tag names the row and its version. Ids are never reused, so an entry deleted and created
 * again under the same name can never match a tag taken from the old one.
 */
export function entityTagOf(entry: { id: number; version: number }): string {
  return `"${entry.id}.${entry.version}"`;
}

/**
 * Whether an `If-Match` header lets a change go ahead (RFC 9110 §13.1.1): `*` matches any existing entry,
 * otherwise one of the listed tags must equal the current one by strong comparison, so a weak tag (`W/"…"`)
 * never matches.
 */
export function ifMatchAllows(header: string, currentTag: string): boolean {
  const trimmed = header.trim();
  if (trimmed === '*') return true;
  return trimmed.split(',').some((candidate) => candidate.trim() === currentTag);
}
