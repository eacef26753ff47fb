/**
 * Audit categories, operations and levels: the numbers stored in every entry and returned as `Category`,
 * `Operation` and `Level`, with the names `QueryString` filters and the CSV download use. Keyfactor
 * publishes codes 2001-2016 for its own areas (2011 is its Security Role) but none for PAM or certificate
 * stores, so Strongroom's own areas take codes from 2100 up. Operations use Keyfactor's numbers and names.
 * docs/audit.md lists which operations each area records. Codes are stored in signed entries, so a code
 * never changes meaning once released; new ones are added.
 */
export const auditCategories = {
  SecurityRole: 2011,
  AuthorizationFailure: 2012,
  User: 2100,
  PamProviderType: 2101,
  PamProvider: 2102,
  LocalPamEntry: 2103,
  CertificateStoreType: 2104,
  CertificateStoreContainer: 2105,
  CertificateStore: 2106,
  CertificateStorePassword: 2107,
  SecretResolution: 2108,
  AuditLog: 2109,
  OAuthClient: 2120,
  IdentityProvider: 2121,
  OAuthToken: 2122,
  OAuthSigningKey: 2123,
  PortalSession: 2140,
  DataKey: 2130,
  MasterKey: 2131,
  Backup: 2132,
} as const;

export type AuditCategoryName = keyof typeof auditCategories;

/** The names callers see and filter on (`Category -eq "Local PAM Entry"`). */
export const auditCategoryLabels: Readonly<Record<AuditCategoryName, string>> = {
  SecurityRole: 'Security Role',
  AuthorizationFailure: 'Authorization Failure',
  User: 'User',
  PamProviderType: 'PAM Provider Type',
  PamProvider: 'PAM Provider',
  LocalPamEntry: 'Local PAM Entry',
  CertificateStoreType: 'Certificate Store Type',
  CertificateStoreContainer: 'Certificate Store Container',
  CertificateStore: 'Certificate Store',
  CertificateStorePassword: 'Certificate Store Password',
  SecretResolution: 'Secret Resolution',
  AuditLog: 'Audit Log',
  OAuthClient: 'OAuth Client',
  IdentityProvider: 'Identity Provider',
  OAuthToken: 'OAuth Token',
  OAuthSigningKey: 'OAuth Signing Key',
  PortalSession: 'Portal Session',
  DataKey: 'Data Key',
  MasterKey: 'Master Key',
  Backup: 'Backup',
};

export const auditOperations = {
  Created: 1,
  Updated: 2,
  Deleted: 3,
  Approved: 4,
  Denied: 5,
  Downloaded: 7,
  Restored: 12,
  Scheduled: 18,
  Failed: 23,
} as const;

export type AuditOperationName = keyof typeof auditOperations;

/** Keyfactor's names; 12 is "Recovered" there, which is what restoring an earlier secret version is. */
export const auditOperationLabels: Readonly<Record<AuditOperationName, string>> = {
  Created: 'Created',
  Updated: 'Updated',
  Deleted: 'Deleted',
  Approved: 'Approved',
  Denied: 'Denied',
  Downloaded: 'Downloaded',
  Restored: 'Recovered',
  Scheduled: 'Scheduled',
  Failed: 'Failed',
};

export const auditLevels = { Information: 0, Warning: 1, Failure: 2 } as const;
export type AuditLevelName = keyof typeof auditLevels;

/** Code to label, for reading entries back. Unknown codes (written by a newer version) show as numbers. */
export function labelOf(labels: ReadonlyMap<number, string>, code: number): string {
  return labels.get(code) ?? String(code);
}

function byCode<Name extends string>(
  codes: Readonly<Record<Name, number>>,
  labels: Readonly<Record<Name, string>>,
): ReadonlyMap<number, string> {
  return new Map(Object.entries<number>(codes).map(([name, code]) => [code, labels[name as Name]]));
}

export const categoryLabelsByCode = byCode(auditCategories, auditCategoryLabels);
export const operationLabelsByCode = byCode(auditOperations, auditOperationLabels);
export const levelLabelsByCode = byCode(auditLevels, {
  Information: 'Information',
  Warning: 'Warning',
  Failure: 'Failure',
});
