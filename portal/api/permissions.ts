/**
 * What the signed-in person may do, from their access-control strings (implied ones included). Controls a
 * person may not use are left out of the page; the API refuses them anyway.
 */
export interface Permissions {
  can(permission: string, objectId?: number): boolean;
  /** Holds the permission for at least one object (a provider or a container), or globally. */
  canAny(permission: string): boolean;
}

export function permissionsFrom(grants: readonly string[]): Permissions {
  const normalized = grants.map((grant) => (grant.endsWith('/') ? grant : `${grant}/`).toLowerCase());
  return {
    can(permission, objectId) {
      const wanted = permission.toLowerCase();
      return normalized.some(
        (grant) => wanted.startsWith(grant) || (objectId !== undefined && grant === `${wanted}${objectId}/`),
      );
    },
    canAny(permission) {
      const wanted = permission.toLowerCase();
      return normalized.some((grant) => wanted.startsWith(grant) || grant.startsWith(wanted));
    },
  };
}
