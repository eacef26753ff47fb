/**
 * Audit categories and operations. Keyfactor publishes codes 2001-2016 for its own areas but none for PAM
 * or certificate stores, so Strongroom's areas take codes from 2100 up. Operations use Keyfactor's numbers.
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
} as const;

export type AuditCategoryName = keyof typeof auditCategories;

export const auditOperations = {
  Created: 1,
  Updated: 2,
  Deleted: 3,
  Downloaded: 7,
  Failed: 23,
  Restored: 12,
} as const;

export type AuditOperationName = keyof typeof auditOperations;

export const auditLevels = { Information: 0, Warning: 1, Failure: 2 } as const;
export type AuditLevelName = keyof typeof auditLevels;
