/**
 * Every endpoint the portal calls, as the method and the path template the server's OpenAPI document uses.
 * The client calls nothing that is not listed here, and a test checks each against the served document, so
 * the portal cannot drift from the API.
 */
export const apiOperations = {
  signIn: { method: 'POST', path: '/strongroom/session' },
  currentSession: { method: 'GET', path: '/strongroom/session' },
  signOut: { method: 'DELETE', path: '/strongroom/session' },
  signInProviders: { method: 'GET', path: '/strongroom/session/providers' },
  myPermissions: { method: 'GET', path: '/KeyfactorAPI/Security/My/Permissions' },

  listProviderTypes: { method: 'GET', path: '/KeyfactorAPI/PamProviders/Types' },
  listProviders: { method: 'GET', path: '/KeyfactorAPI/PamProviders' },
  getProvider: { method: 'GET', path: '/KeyfactorAPI/PamProviders/{id}' },
  createProvider: { method: 'POST', path: '/KeyfactorAPI/PamProviders' },
  updateProvider: { method: 'PUT', path: '/KeyfactorAPI/PamProviders' },
  deleteProvider: { method: 'DELETE', path: '/KeyfactorAPI/PamProviders/{id}' },

  listEntries: { method: 'GET', path: '/KeyfactorAPI/PamProviders/Local/{providerId}/Entries' },
  createEntry: { method: 'POST', path: '/KeyfactorAPI/PamProviders/Local/{providerId}/Entries' },
  updateEntry: { method: 'PUT', path: '/KeyfactorAPI/PamProviders/Local/{providerId}/Entries/{secretName}' },
  deleteEntry: {
    method: 'DELETE',
    path: '/KeyfactorAPI/PamProviders/Local/{providerId}/Entries/{secretName}',
  },
  getEntry: { method: 'GET', path: '/strongroom/pam-providers/{providerId}/entries/{secretName}' },
  listEntryVersions: {
    method: 'GET',
    path: '/strongroom/pam-providers/{providerId}/entries/{secretName}/versions',
  },
  restoreEntryVersion: {
    method: 'POST',
    path: '/strongroom/pam-providers/{providerId}/entries/{secretName}/versions/{version}/restore',
  },

  listStores: { method: 'GET', path: '/KeyfactorAPI/CertificateStores' },
  getStore: { method: 'GET', path: '/KeyfactorAPI/CertificateStores/{id}' },
  createStore: { method: 'POST', path: '/KeyfactorAPI/CertificateStores' },
  updateStore: { method: 'PUT', path: '/KeyfactorAPI/CertificateStores' },
  deleteStore: { method: 'DELETE', path: '/KeyfactorAPI/CertificateStores/{id}' },
  assignStoreContainer: { method: 'PUT', path: '/KeyfactorAPI/CertificateStores/AssignContainer' },
  setStorePassword: { method: 'PUT', path: '/KeyfactorAPI/CertificateStores/Password' },
  resolveStorePassword: { method: 'POST', path: '/strongroom/certificate-stores/{id}/password/resolve' },

  listContainers: { method: 'GET', path: '/KeyfactorAPI/CertificateStoreContainers' },
  createContainer: { method: 'POST', path: '/KeyfactorAPI/CertificateStoreContainers' },
  deleteContainer: { method: 'DELETE', path: '/KeyfactorAPI/CertificateStoreContainers/{id}' },
  listStoreTypes: { method: 'GET', path: '/KeyfactorAPI/CertificateStoreTypes' },

  listPermissionSets: { method: 'GET', path: '/KeyfactorAPI/PermissionSets' },
  listRoles: { method: 'GET', path: '/KeyfactorAPI/Security/Roles' },
  getRole: { method: 'GET', path: '/KeyfactorAPI/Security/Roles/{id}' },
  createRole: { method: 'POST', path: '/KeyfactorAPI/Security/Roles' },
  updateRole: { method: 'PUT', path: '/KeyfactorAPI/Security/Roles' },
  deleteRole: { method: 'DELETE', path: '/KeyfactorAPI/Security/Roles/{id}' },
  getRoleProviderGrants: {
    method: 'GET',
    path: '/KeyfactorAPI/Security/Roles/{id}/Permissions/PamProviders',
  },
  setRoleProviderGrants: {
    method: 'PUT',
    path: '/KeyfactorAPI/Security/Roles/{id}/Permissions/PamProviders',
  },
  getRoleContainerGrants: { method: 'GET', path: '/KeyfactorAPI/Security/Roles/{id}/Permissions/Containers' },
  setRoleContainerGrants: { method: 'PUT', path: '/KeyfactorAPI/Security/Roles/{id}/Permissions/Containers' },

  listUsers: { method: 'GET', path: '/strongroom/users' },
  createUser: { method: 'POST', path: '/strongroom/users' },
  updateUser: { method: 'PUT', path: '/strongroom/users/{username}' },
  deleteUser: { method: 'DELETE', path: '/strongroom/users/{username}' },

  listOAuthClients: { method: 'GET', path: '/strongroom/oauth/clients' },
  createOAuthClient: { method: 'POST', path: '/strongroom/oauth/clients' },
  updateOAuthClient: { method: 'PUT', path: '/strongroom/oauth/clients/{clientId}' },
  rotateOAuthClientSecret: { method: 'POST', path: '/strongroom/oauth/clients/{clientId}/secret' },
  deleteOAuthClient: { method: 'DELETE', path: '/strongroom/oauth/clients/{clientId}' },

  listAudit: { method: 'GET', path: '/KeyfactorAPI/Audit' },
  getAudit: { method: 'GET', path: '/KeyfactorAPI/Audit/{id}' },
  validateAudit: { method: 'GET', path: '/KeyfactorAPI/Audit/{id}/Validate' },
  downloadAudit: { method: 'GET', path: '/KeyfactorAPI/Audit/Download' },
  verifyAuditChain: { method: 'GET', path: '/strongroom/audit/verify' },
} as const satisfies Record<string, { method: 'GET' | 'POST' | 'PUT' | 'DELETE'; path: string }>;

export type OperationName = keyof typeof apiOperations;
