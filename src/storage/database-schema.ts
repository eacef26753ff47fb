import type { Generated } from 'kysely';

/**
 * Row types shared by both databases. Timestamps are ISO-8601 UTC text and booleans are integers 0/1 in
 * both SQLite and PostgreSQL, so every query and the QueryString compiler behave the same on each.
 */
export interface Database {
  strongroom_meta: MetaTable;
  data_keys: DataKeyTable;
  users: UserTable;
  roles: RoleTable;
  role_permissions: RolePermissionTable;
  security_claims: SecurityClaimTable;
  role_claim_links: RoleClaimLinkTable;
  security_version: SecurityVersionTable;
  portal_sessions: PortalSessionTable;
  permission_sets: PermissionSetTable;
  permission_set_permissions: PermissionSetPermissionTable;
  audit_log: AuditLogTable;
  audit_head: AuditHeadTable;
  audit_checkpoints: AuditCheckpointTable;
  pam_provider_types: PamProviderTypeTable;
  pam_provider_type_params: PamProviderTypeParamTable;
  pam_providers: PamProviderTable;
  pam_provider_param_values: PamProviderParamValueTable;
  local_entries: LocalEntryTable;
  local_entry_versions: LocalEntryVersionTable;
  certificate_store_types: CertificateStoreTypeTable;
  certificate_store_containers: CertificateStoreContainerTable;
  certificate_stores: CertificateStoreTable;
  certificate_store_secrets: CertificateStoreSecretTable;
  oauth_clients: OAuthClientTable;
  oauth_signing_keys: OAuthSigningKeyTable;
  identity_providers: IdentityProviderTable;
  key_rewrap_lease: KeyRewrapLeaseTable;
  portal_sign_in_attempts: PortalSignInAttemptTable;
  portal_external_sessions: PortalExternalSessionTable;
}

export interface MetaTable {
  key: string;
  value: string;
}

export interface DataKeyTable {
  key_version: number;
  wrapped_key: Buffer;
  created_at: string;
}

/** One row, bumped by triggers whenever a user, role, claim or role permission changes. */
export interface SecurityVersionTable {
  id: number;
  version: number;
}

/** A signed-in portal session; the id itself is only ever in the browser's cookie. */
export interface PortalSessionTable {
  id_hash: string;
  user_id: number;
  credential_stamp: string;
  created_at: string;
  last_seen_at: string;
}

/** A sign-in at an external provider under way: single use, short-lived. */
export interface PortalSignInAttemptTable {
  state_hash: string;
  provider_id: string;
  nonce: string;
  code_challenge: string;
  expires_at: string;
}

/** A portal session opened by an external identity provider; claims are the ID token's, as OAuth claims. */
export interface PortalExternalSessionTable {
  id_hash: string;
  provider_id: string;
  subject: string;
  display_name: string;
  claims_json: string;
  created_at: string;
  last_seen_at: string;
}

export interface UserTable {
  id: Generated<number>;
  username: string;
  password_hash: string;
  groups_json: string;
  failed_attempts: number;
  locked_until: string | null;
  created_at: string;
  updated_at: string;
}

export interface RoleTable {
  id: Generated<number>;
  name: string;
  description: string;
  email_address: string | null;
  immutable: number;
  permission_set_id: string;
}

export interface PermissionSetPermissionTable {
  permission_set_id: string;
  permission: string;
}

export interface RolePermissionTable {
  role_id: number;
  permission: string;
}

/** A claim (User, Group, OAuth...) as a record of its own; the legacy API's identities are its User and Group claims. */
export interface SecurityClaimTable {
  id: Generated<number>;
  claim_type: string;
  claim_value: string;
  provider_scheme: string;
  description: string;
}

export interface RoleClaimLinkTable {
  role_id: number;
  claim_id: number;
}

export interface PermissionSetTable {
  id: string;
  name: string;
}

export interface AuditLogTable {
  id: Generated<number>;
  /** Null until the sealer chains the entry; then its gap-free position in the chain. */
  sequence: number | null;
  timestamp: string;
  category: number;
  operation: number;
  level: number;
  user_name: string;
  entity_type: string;
  audit_identifier: string;
  immutable_identifier: string;
  outcome: string;
  message: string;
  record_mac: string;
  previous_hash: string | null;
  entry_hash: string | null;
  mac: string | null;
}

export interface AuditHeadTable {
  id: number;
  sequence: number;
  entry_hash: string;
}

export interface AuditCheckpointTable {
  id: Generated<number>;
  sequence: number;
  entry_hash: string;
  created_at: string;
  mac: string;
}

export interface PamProviderTypeTable {
  id: string;
  name: string;
  is_builtin: number;
  created_at: string;
}

export interface PamProviderTypeParamTable {
  id: Generated<number>;
  type_id: string;
  name: string;
  display_name: string | null;
  data_type: number;
  instance_level: number;
  position: number;
}

export interface PamProviderTable {
  id: Generated<number>;
  name: string;
  type_id: string;
  area: number;
  secured_area_id: number | null;
  remote: number;
  created_at: string;
  updated_at: string;
}

export interface PamProviderParamValueTable {
  id: Generated<number>;
  provider_id: number;
  param_id: number;
  value_text: string | null;
  value_sealed: Buffer | null;
}

export interface LocalEntryTable {
  id: Generated<number>;
  provider_id: number;
  secret_name: string;
  description: string | null;
  value_sealed: Buffer;
  version: number;
  created_at: string;
  updated_at: string;
  updated_by: string;
}

export interface LocalEntryVersionTable {
  id: Generated<number>;
  entry_id: number;
  version: number;
  value_sealed: Buffer;
  description: string | null;
  changed_at: string;
  changed_by: string;
}

export interface CertificateStoreTypeTable {
  store_type: number;
  name: string;
  short_name: string;
  is_builtin: number;
  private_key_allowed: number;
  add_supported: number;
  remove_supported: number;
  definition_json: string;
}

export interface CertificateStoreContainerTable {
  id: Generated<number>;
  name: string;
  /** Null until the first store placed in the container gives it that store's type. */
  cert_store_type: number | null;
  overwrite_schedules: number;
  schedule_json: string | null;
  has_schedule: Generated<number>;
}

export interface CertificateStoreTable {
  id: string;
  container_id: number | null;
  client_machine: string;
  storepath: string;
  cert_store_type: number;
  approved: number;
  create_if_missing: number;
  properties_json: string;
  agent_id: string | null;
  agent_assigned: number;
  inventory_schedule_json: string | null;
  has_inventory_schedule: Generated<number>;
  created_at: string;
  updated_at: string;
}

/** One row per secret a store holds: its `Password` or one secret-typed property. */
export interface CertificateStoreSecretTable {
  store_id: string;
  secret_key: string;
  instance_guid: string;
  value_sealed: Buffer | null;
  provider_id: number | null;
  parameters_json: string | null;
}

/** A machine client of the built-in token issuer; the secret is kept only as a keyed hash. */
export interface OAuthClientTable {
  id: Generated<number>;
  client_id: string;
  description: string;
  secret_hash: string;
  enabled: number;
  created_at: string;
  updated_at: string;
}

/** A key the built-in issuer signs with; retired keys stay published until their last token expires. */
export interface OAuthSigningKeyTable {
  kid: string;
  algorithm: string;
  public_jwk: string;
  private_jwk_sealed: Buffer;
  created_at: string;
  retired_at: string | null;
}

/** Keyfactor's identity provider: who may issue bearer tokens, and how their claims are read. */
export interface IdentityProviderTable {
  id: string;
  authentication_scheme: string;
  display_name: string;
  provider_type: string;
  authentication_enabled: number;
  permission_set_id: string;
  authority: string | null;
  audience: string | null;
  jwks_uri: string | null;
  name_claim_type: string;
  role_claim_type: string;
  client_id_claim_type: string;
  client_id: string | null;
  is_builtin: number;
  created_at: string;
  updated_at: string;
}

/** One row: the lease a rewrap holds while it runs, and the progress of the latest run. */
export interface KeyRewrapLeaseTable {
  id: number;
  holder: string | null;
  lease_until: string | null;
  target_version: number | null;
  started_at: string | null;
  rows_rewrapped: number;
  finished_at: string | null;
}
