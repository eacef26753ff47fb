/**
 * Every table a backup holds, in the order a restore inserts them (a table after those it references).
 * A guard test fails when the database has a table that is missing here, so a new table cannot silently
 * be left out of backups. Kysely's own migration bookkeeping is not listed: the target of a restore runs
 * its migrations itself, and the archive header names the migrations it was taken at.
 */
export interface BackupTable {
  readonly name: string;
  /** The primary key: the order rows are read in, page by page. */
  readonly keyColumns: readonly string[];
  /** An identity column whose PostgreSQL sequence must continue after the restored rows. */
  readonly identityColumn?: string;
  /**
   * Rows the migrations insert into an empty database; a restore replaces them with the archived ones.
   * Such tables do not count when a restore checks that its target is empty.
   */
  readonly seededByMigrations?: boolean;
}

export const backupTables: readonly BackupTable[] = [
  { name: 'strongroom_meta', keyColumns: ['key'] },
  { name: 'data_keys', keyColumns: ['key_version'] },
  { name: 'permission_sets', keyColumns: ['id'] },
  { name: 'permission_set_permissions', keyColumns: ['permission_set_id', 'permission'] },
  { name: 'users', keyColumns: ['id'], identityColumn: 'id' },
  { name: 'roles', keyColumns: ['id'], identityColumn: 'id' },
  { name: 'role_permissions', keyColumns: ['role_id', 'permission'] },
  { name: 'security_claims', keyColumns: ['id'], identityColumn: 'id' },
  { name: 'role_claim_links', keyColumns: ['role_id', 'claim_id'] },
  { name: 'portal_sessions', keyColumns: ['id_hash'] },
  { name: 'oauth_clients', keyColumns: ['id'], identityColumn: 'id' },
  { name: 'oauth_signing_keys', keyColumns: ['kid'] },
  // The built-in Basic and Strongroom providers are inserted by migration 008.
  { name: 'identity_providers', keyColumns: ['id'], seededByMigrations: true },
  { name: 'portal_sign_in_attempts', keyColumns: ['state_hash'] },
  { name: 'portal_external_sessions', keyColumns: ['id_hash'] },
  { name: 'pam_provider_types', keyColumns: ['id'] },
  { name: 'pam_provider_type_params', keyColumns: ['id'], identityColumn: 'id' },
  { name: 'pam_providers', keyColumns: ['id'], identityColumn: 'id' },
  { name: 'pam_provider_param_values', keyColumns: ['id'], identityColumn: 'id' },
  { name: 'local_entries', keyColumns: ['id'], identityColumn: 'id' },
  { name: 'local_entry_versions', keyColumns: ['id'], identityColumn: 'id' },
  { name: 'certificate_store_types', keyColumns: ['store_type'] },
  { name: 'certificate_store_containers', keyColumns: ['id'], identityColumn: 'id' },
  { name: 'certificate_stores', keyColumns: ['id'] },
  { name: 'certificate_store_secrets', keyColumns: ['store_id', 'secret_key'] },
  { name: 'audit_log', keyColumns: ['id'], identityColumn: 'id' },
  { name: 'audit_head', keyColumns: ['id'], seededByMigrations: true },
  { name: 'audit_checkpoints', keyColumns: ['id'], identityColumn: 'id' },
  { name: 'key_rewrap_lease', keyColumns: ['id'], seededByMigrations: true },
  // Last: inserting users and roles above bumps it through triggers; the archived value is written after.
  { name: 'security_version', keyColumns: ['id'], seededByMigrations: true },
];
