import { sql } from 'kysely';
import type { ColumnDefinitionBuilder, CreateTableBuilder, Kysely, Migration } from 'kysely';
import type { DialectName } from './storage.js';

type ColumnBuilderCallback = (column: ColumnDefinitionBuilder) => ColumnDefinitionBuilder;

/**
 * Migrations live in code and run at start. They are append-only once released: a change to the schema is
 * a new entry, never an edit of an old one. The two dialects differ only in identity columns and binary
 * types, which is all this file knows about them.
 */
export function createMigrations(dialect: DialectName): Record<string, Migration> {
  const binaryType = dialect === 'postgres' ? 'bytea' : 'blob';

  function withId<T extends string, C extends string>(
    table: CreateTableBuilder<T, C>,
  ): CreateTableBuilder<T, C> {
    return dialect === 'postgres'
      ? table.addColumn('id', 'integer', (column) => column.primaryKey().generatedByDefaultAsIdentity())
      : table.addColumn('id', 'integer', (column) => column.primaryKey().autoIncrement());
  }
  const notNull: ColumnBuilderCallback = (column) => column.notNull();

  return {
    '001-foundation': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('strongroom_meta')
          .addColumn('key', 'text', (column) => column.primaryKey())
          .addColumn('value', 'text', notNull)
          .execute();
        await db.schema
          .createTable('data_keys')
          .addColumn('key_version', 'integer', (column) => column.primaryKey())
          .addColumn('wrapped_key', binaryType, notNull)
          .addColumn('created_at', 'text', notNull)
          .execute();

        await withId(db.schema.createTable('users'))
          .addColumn('username', 'text', notNull)
          .addColumn('password_hash', 'text', notNull)
          .addColumn('groups_json', 'text', notNull)
          .addColumn('failed_attempts', 'integer', (column) => column.notNull().defaultTo(0))
          .addColumn('locked_until', 'text')
          .addColumn('created_at', 'text', notNull)
          .addColumn('updated_at', 'text', notNull)
          .execute();
        // Usernames are unique without regard to case so 'Alice' and 'alice' cannot be two people.
        await sql`create unique index users_username_unique on users (lower(username))`.execute(db);

        await db.schema
          .createTable('permission_sets')
          .addColumn('id', 'text', (column) => column.primaryKey())
          .addColumn('name', 'text', (column) => column.notNull().unique())
          .execute();
        await withId(db.schema.createTable('roles'))
          .addColumn('name', 'text', notNull)
          .addColumn('description', 'text', notNull)
          .addColumn('email_address', 'text')
          .addColumn('immutable', 'integer', (column) => column.notNull().defaultTo(0))
          .addColumn('permission_set_id', 'text', (column) =>
            column.notNull().references('permission_sets.id'),
          )
          .execute();
        await sql`create unique index roles_name_unique on roles (lower(name))`.execute(db);
        await db.schema
          .createTable('role_permissions')
          .addColumn('role_id', 'integer', (column) =>
            column.notNull().references('roles.id').onDelete('cascade'),
          )
          .addColumn('permission', 'text', notNull)
          .addPrimaryKeyConstraint('role_permissions_pk', ['role_id', 'permission'])
          .execute();
        await withId(db.schema.createTable('role_claims'))
          .addColumn('role_id', 'integer', (column) =>
            column.notNull().references('roles.id').onDelete('cascade'),
          )
          .addColumn('claim_type', 'text', notNull)
          .addColumn('claim_value', 'text', notNull)
          .addColumn('provider_scheme', 'text', notNull)
          .addColumn('description', 'text', notNull)
          .execute();
        await db.schema
          .createIndex('role_claims_lookup')
          .on('role_claims')
          .columns(['claim_type', 'claim_value'])
          .execute();

        // An entry is recorded (content and record MAC) in the transaction of its change, and chained later
        // (sequence, previous hash, entry hash, MAC) by a sealer that appends committed entries in batches.
        // Recording therefore never waits on another transaction; see docs/audit.md.
        await withId(db.schema.createTable('audit_log'))
          .addColumn('sequence', 'integer', (column) => column.unique())
          .addColumn('timestamp', 'text', notNull)
          .addColumn('category', 'integer', notNull)
          .addColumn('operation', 'integer', notNull)
          .addColumn('level', 'integer', notNull)
          .addColumn('user_name', 'text', notNull)
          .addColumn('entity_type', 'text', notNull)
          .addColumn('audit_identifier', 'text', notNull)
          .addColumn('immutable_identifier', 'text', notNull)
          .addColumn('outcome', 'text', notNull)
          .addColumn('message', 'text', notNull)
          .addColumn('record_mac', 'text', notNull)
          .addColumn('previous_hash', 'text')
          .addColumn('entry_hash', 'text')
          .addColumn('mac', 'text')
          .execute();
        // With the id, so a download sorted by time continues from its last row through the index.
        await db.schema
          .createIndex('audit_log_timestamp')
          .on('audit_log')
          .columns(['timestamp', 'id'])
          .execute();
        await db.schema
          .createIndex('audit_log_entity')
          .on('audit_log')
          .columns(['entity_type', 'immutable_identifier'])
          .execute();
        await db.schema
          .createTable('audit_head')
          .addColumn('id', 'integer', (column) => column.primaryKey())
          .addColumn('sequence', 'integer', notNull)
          .addColumn('entry_hash', 'text', notNull)
          .execute();
        // The head row exists from the start so concurrent first sealers lock it instead of racing to create it.
        await sql`insert into audit_head (id, sequence, entry_hash) values (1, 0, '')`.execute(db);
        await withId(db.schema.createTable('audit_checkpoints'))
          .addColumn('sequence', 'integer', (column) => column.notNull().unique())
          .addColumn('entry_hash', 'text', notNull)
          .addColumn('created_at', 'text', notNull)
          .addColumn('mac', 'text', notNull)
          .execute();
      },
    },
    '002-pam': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('pam_provider_types')
          .addColumn('id', 'text', (column) => column.primaryKey())
          .addColumn('name', 'text', notNull)
          .addColumn('is_builtin', 'integer', (column) => column.notNull().defaultTo(0))
          .addColumn('created_at', 'text', notNull)
          .execute();
        await sql`create unique index pam_provider_types_name_unique on pam_provider_types (lower(name))`.execute(
          db,
        );
        await withId(db.schema.createTable('pam_provider_type_params'))
          .addColumn('type_id', 'text', (column) =>
            column.notNull().references('pam_provider_types.id').onDelete('cascade'),
          )
          .addColumn('name', 'text', notNull)
          .addColumn('display_name', 'text')
          .addColumn('data_type', 'integer', notNull)
          .addColumn('instance_level', 'integer', notNull)
          .addColumn('position', 'integer', notNull)
          .execute();
        await sql`create unique index pam_provider_type_params_name_unique on pam_provider_type_params (type_id, lower(name))`.execute(
          db,
        );

        await withId(db.schema.createTable('pam_providers'))
          .addColumn('name', 'text', notNull)
          .addColumn('type_id', 'text', (column) => column.notNull().references('pam_provider_types.id'))
          .addColumn('area', 'integer', notNull)
          .addColumn('secured_area_id', 'integer')
          .addColumn('remote', 'integer', notNull)
          .addColumn('created_at', 'text', notNull)
          .addColumn('updated_at', 'text', notNull)
          .execute();
        await sql`create unique index pam_providers_name_unique on pam_providers (lower(name))`.execute(db);
        await withId(db.schema.createTable('pam_provider_param_values'))
          .addColumn('provider_id', 'integer', (column) =>
            column.notNull().references('pam_providers.id').onDelete('cascade'),
          )
          .addColumn('param_id', 'integer', (column) =>
            column.notNull().references('pam_provider_type_params.id'),
          )
          .addColumn('value_text', 'text')
          .addColumn('value_sealed', binaryType)
          .addUniqueConstraint('pam_provider_param_values_unique', ['provider_id', 'param_id'])
          .execute();

        await withId(db.schema.createTable('local_entries'))
          .addColumn('provider_id', 'integer', (column) => column.notNull().references('pam_providers.id'))
          .addColumn('secret_name', 'text', notNull)
          .addColumn('description', 'text')
          .addColumn('value_sealed', binaryType, notNull)
          .addColumn('version', 'integer', notNull)
          .addColumn('created_at', 'text', notNull)
          .addColumn('updated_at', 'text', notNull)
          .addColumn('updated_by', 'text', notNull)
          .addUniqueConstraint('local_entries_name_unique', ['provider_id', 'secret_name'])
          .execute();
        // Filters compare names without regard to case, so they need an index on the lowered name.
        await sql`create index local_entries_name_search on local_entries (provider_id, lower(secret_name))`.execute(
          db,
        );
        await withId(db.schema.createTable('local_entry_versions'))
          .addColumn('entry_id', 'integer', (column) =>
            column.notNull().references('local_entries.id').onDelete('cascade'),
          )
          .addColumn('version', 'integer', notNull)
          .addColumn('value_sealed', binaryType, notNull)
          .addColumn('description', 'text')
          .addColumn('changed_at', 'text', notNull)
          .addColumn('changed_by', 'text', notNull)
          .addUniqueConstraint('local_entry_versions_unique', ['entry_id', 'version'])
          .execute();
      },
    },
    '003-certificate-stores': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('certificate_store_types')
          .addColumn('store_type', 'integer', (column) => column.primaryKey())
          .addColumn('name', 'text', notNull)
          .addColumn('short_name', 'text', notNull)
          .addColumn('is_builtin', 'integer', (column) => column.notNull().defaultTo(0))
          // Copied out of the definition so store lists can filter on them (AddSupported, PrivateKeyAllowed, ...).
          .addColumn('private_key_allowed', 'integer', notNull)
          .addColumn('add_supported', 'integer', notNull)
          .addColumn('remove_supported', 'integer', notNull)
          .addColumn('definition_json', 'text', notNull)
          .execute();
        // Keyfactor's own built-in types share short names (three are 'IIS'), which is why the lookup by short
        // name returns an array; the full name is what stays unique.
        await sql`create unique index certificate_store_types_name_unique on certificate_store_types (lower(name))`.execute(
          db,
        );
        await sql`create index certificate_store_types_short_name on certificate_store_types (lower(short_name))`.execute(
          db,
        );
        await withId(db.schema.createTable('certificate_store_containers'))
          .addColumn('name', 'text', notNull)
          .addColumn('cert_store_type', 'integer', notNull)
          .addColumn('overwrite_schedules', 'integer', notNull)
          .addColumn('schedule_json', 'text')
          .addColumn('has_schedule', 'integer', (column) => column.notNull().defaultTo(0))
          .execute();
        await sql`create unique index certificate_store_containers_name_unique on certificate_store_containers (lower(name))`.execute(
          db,
        );
        await db.schema
          .createTable('certificate_stores')
          .addColumn('id', 'text', (column) => column.primaryKey())
          .addColumn('container_id', 'integer', (column) =>
            column.references('certificate_store_containers.id'),
          )
          .addColumn('client_machine', 'text', notNull)
          .addColumn('storepath', 'text', notNull)
          .addColumn('cert_store_type', 'integer', (column) =>
            column.notNull().references('certificate_store_types.store_type'),
          )
          .addColumn('approved', 'integer', notNull)
          .addColumn('create_if_missing', 'integer', notNull)
          .addColumn('properties_json', 'text', notNull)
          .addColumn('agent_id', 'text')
          .addColumn('agent_assigned', 'integer', notNull)
          .addColumn('inventory_schedule_json', 'text')
          .addColumn('has_inventory_schedule', 'integer', (column) => column.notNull().defaultTo(0))
          .addColumn('created_at', 'text', notNull)
          .addColumn('updated_at', 'text', notNull)
          .execute();
        // One store per machine, path and type: two rows for the same keystore would hold two passwords for it.
        await sql`create unique index certificate_stores_location_unique on certificate_stores (lower(client_machine), storepath, cert_store_type)`.execute(
          db,
        );
        await db.schema
          .createIndex('certificate_stores_container')
          .on('certificate_stores')
          .column('container_id')
          .execute();
        await db.schema
          .createTable('certificate_store_secrets')
          .addColumn('store_id', 'text', (column) =>
            column.notNull().references('certificate_stores.id').onDelete('cascade'),
          )
          .addColumn('secret_key', 'text', notNull)
          .addColumn('instance_guid', 'text', notNull)
          .addColumn('value_sealed', binaryType)
          .addColumn('provider_id', 'integer', (column) => column.references('pam_providers.id'))
          .addColumn('parameters_json', 'text')
          .addPrimaryKeyConstraint('certificate_store_secrets_pk', ['store_id', 'secret_key'])
          .execute();
        await db.schema
          .createIndex('certificate_store_secrets_provider')
          .on('certificate_store_secrets')
          .column('provider_id')
          .execute();
      },
    },
    '004-security-version': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('security_version')
          .addColumn('id', 'integer', (column) => column.primaryKey().check(sql`id = 1`))
          .addColumn('version', 'bigint', notNull)
          .execute();
        await sql`insert into security_version (id, version) values (1, 1)`.execute(db);
        // Triggers rather than application code, so that a change made by any node, a CLI command or an
        // operator's SQL still invalidates what every server has cached about callers.
        if (dialect === 'postgres') {
          await sql`create function bump_security_version() returns trigger language plpgsql as $$
            begin update security_version set version = version + 1 where id = 1; return null; end $$`.execute(
            db,
          );
          for (const table of securityTables) {
            await sql
              .raw(
                `create trigger ${table}_bumps_security_version after insert or update or delete on ${table} ` +
                  'for each statement execute function bump_security_version()',
              )
              .execute(db);
          }
          return;
        }
        for (const table of securityTables) {
          for (const event of ['insert', 'update', 'delete']) {
            await sql
              .raw(
                `create trigger ${table}_${event}_bumps_security_version after ${event} on ${table} ` +
                  'begin update security_version set version = version + 1 where id = 1; end',
              )
              .execute(db);
          }
        }
      },
    },
    '005-local-entry-version-archive': {
      async up(db: Kysely<unknown>) {
        // The state a change replaces is archived by the update that replaces it: a change costs one statement
        // fewer, and no path can write a new version without keeping the old one. Pruning to the configured
        // number of versions stays in the application, which knows that number.
        const archive = `insert into local_entry_versions
            (entry_id, version, value_sealed, description, changed_at, changed_by)
          values (old.id, old.version, old.value_sealed, old.description, old.updated_at, old.updated_by);`;
        if (dialect === 'postgres') {
          await sql
            .raw(
              'create function archive_local_entry_version() returns trigger language plpgsql as $$ ' +
                `begin ${archive} return null; end $$`,
            )
            .execute(db);
          await sql`create trigger local_entries_archive_version after update of version on local_entries
            for each row when (new.version <> old.version) execute function archive_local_entry_version()`.execute(
            db,
          );
          return;
        }
        await sql
          .raw(
            'create trigger local_entries_archive_version after update of version on local_entries ' +
              `when new.version <> old.version begin ${archive} end`,
          )
          .execute(db);
      },
    },
    '006-fidelity': {
      async up(db: Kysely<unknown>) {
        // A container created the way Command 25 publishes it has no type until its first store arrives.
        if (dialect === 'postgres') {
          await sql`alter table certificate_store_containers alter column cert_store_type drop not null`.execute(
            db,
          );
          return;
        }
        await rebuildSqliteContainersWithNullableType(db);
      },
    },
    '007-legacy-security': {
      async up(db: Kysely<unknown>) {
        // Claims become records of their own that roles link to, as in Keyfactor: the legacy API creates
        // claims (and identities, which are User and Group claims) before any role holds them, and one claim
        // held by several roles is one record with one id.
        await withId(db.schema.createTable('security_claims'))
          .addColumn('claim_type', 'text', notNull)
          .addColumn('claim_value', 'text', notNull)
          .addColumn('provider_scheme', 'text', notNull)
          .addColumn('description', 'text', notNull)
          .execute();
        // Claims match without regard to the case of value and scheme, so they are unique the same way.
        await sql`create unique index security_claims_unique
          on security_claims (claim_type, lower(claim_value), lower(provider_scheme))`.execute(db);
        await db.schema
          .createTable('role_claim_links')
          .addColumn('role_id', 'integer', (column) =>
            column.notNull().references('roles.id').onDelete('cascade'),
          )
          .addColumn('claim_id', 'integer', (column) =>
            column.notNull().references('security_claims.id').onDelete('cascade'),
          )
          .addPrimaryKeyConstraint('role_claim_links_pk', ['role_id', 'claim_id'])
          .execute();
        await db.schema
          .createIndex('role_claim_links_claim')
          .on('role_claim_links')
          .column('claim_id')
          .execute();

        // Existing role claims that differ only in case become one claim, keeping the first one's spelling.
        await sql`insert into security_claims (claim_type, claim_value, provider_scheme, description)
          select claim_type, claim_value, provider_scheme, description from role_claims first_claim
          where first_claim.id = (select min(other.id) from role_claims other
            where other.claim_type = first_claim.claim_type
              and lower(other.claim_value) = lower(first_claim.claim_value)
              and lower(other.provider_scheme) = lower(first_claim.provider_scheme))
          order by first_claim.id`.execute(db);
        await sql`insert into role_claim_links (role_id, claim_id)
          select distinct role_claims.role_id, security_claims.id from role_claims
          join security_claims on security_claims.claim_type = role_claims.claim_type
            and lower(security_claims.claim_value) = lower(role_claims.claim_value)
            and lower(security_claims.provider_scheme) = lower(role_claims.provider_scheme)`.execute(db);
        await db.schema.dropTable('role_claims').execute();
        await createSecurityVersionTriggers(db, dialect, ['security_claims', 'role_claim_links']);
      },
    },
    '008-identity': {
      async up(db: Kysely<unknown>) {
        await withId(db.schema.createTable('oauth_clients'))
          .addColumn('client_id', 'text', notNull)
          .addColumn('description', 'text', notNull)
          .addColumn('secret_hash', 'text', notNull)
          .addColumn('enabled', 'integer', notNull)
          .addColumn('created_at', 'text', notNull)
          .addColumn('updated_at', 'text', notNull)
          .execute();
        await sql`create unique index oauth_clients_client_id_unique on oauth_clients (lower(client_id))`.execute(
          db,
        );
        await db.schema
          .createTable('oauth_signing_keys')
          .addColumn('kid', 'text', (column) => column.primaryKey())
          .addColumn('algorithm', 'text', notNull)
          .addColumn('public_jwk', 'text', notNull)
          .addColumn('private_jwk_sealed', binaryType, notNull)
          .addColumn('created_at', 'text', notNull)
          .addColumn('retired_at', 'text')
          .execute();
        await db.schema
          .createTable('identity_providers')
          .addColumn('id', 'text', (column) => column.primaryKey())
          .addColumn('authentication_scheme', 'text', notNull)
          .addColumn('display_name', 'text', notNull)
          .addColumn('provider_type', 'text', notNull)
          .addColumn('authentication_enabled', 'integer', notNull)
          .addColumn('permission_set_id', 'text', notNull)
          .addColumn('authority', 'text')
          .addColumn('audience', 'text')
          .addColumn('jwks_uri', 'text')
          .addColumn('name_claim_type', 'text', notNull)
          .addColumn('role_claim_type', 'text', notNull)
          .addColumn('client_id_claim_type', 'text', notNull)
          .addColumn('is_builtin', 'integer', notNull)
          .addColumn('created_at', 'text', notNull)
          .addColumn('updated_at', 'text', notNull)
          .execute();
        await sql`create unique index identity_providers_scheme_unique on identity_providers (lower(authentication_scheme))`.execute(
          db,
        );
        await sql`create unique index identity_providers_display_name_unique on identity_providers (lower(display_name))`.execute(
          db,
        );
        // The two built-in providers keep the ids roles already report for their schemes.
        const createdAt = '2026-01-01T00:00:00.000Z';
        for (const [id, scheme, displayName] of [
          ['c14a377f-d4d7-5b07-848e-8baf9648d6a7', 'Basic', 'Strongroom local users'],
          ['aaf87ae9-0e3b-560c-93cb-ad59c74e9032', 'Strongroom', 'Strongroom token issuer'],
        ] as const) {
          await sql`insert into identity_providers (id, authentication_scheme, display_name, provider_type,
              authentication_enabled, permission_set_id, name_claim_type, role_claim_type, client_id_claim_type,
              is_builtin, created_at, updated_at)
            values (${id}, ${scheme}, ${displayName}, ${scheme}, 1, ${globalPermissionSetIdForMigration},
              'sub', 'roles', 'client_id', 1, ${createdAt}, ${createdAt})`.execute(db);
        }
        // Disabling or deleting a client or a provider must reach callers every node has remembered.
        await createSecurityVersionTriggers(db, dialect, identityTables);
      },
    },
    '009-portal-sessions': {
      async up(db: Kysely<unknown>) {
        // Only a hash of the session id is stored, so a copy of the database signs nobody in. The user's id
        // cascades a removal; the stamp of the password hash a session was opened under ends it when the
        // password changes, on whichever node the next request arrives.
        await db.schema
          .createTable('portal_sessions')
          .addColumn('id_hash', 'text', (column) => column.primaryKey())
          .addColumn('user_id', 'integer', (column) =>
            column.notNull().references('users.id').onDelete('cascade'),
          )
          .addColumn('credential_stamp', 'text', notNull)
          .addColumn('created_at', 'text', notNull)
          .addColumn('last_seen_at', 'text', notNull)
          .execute();
        await db.schema.createIndex('portal_sessions_user').on('portal_sessions').column('user_id').execute();
      },
    },
    '010-keys': {
      async up(db: Kysely<unknown>) {
        // One row: who is rewrapping, until when the lease holds, and how far the run has got. A lease rather
        // than an advisory lock so that both dialects behave alike and `keys status` can show the progress.
        await db.schema
          .createTable('key_rewrap_lease')
          .addColumn('id', 'integer', (column) => column.primaryKey().check(sql`id = 1`))
          .addColumn('holder', 'text')
          .addColumn('lease_until', 'text')
          .addColumn('target_version', 'integer')
          .addColumn('started_at', 'text')
          .addColumn('rows_rewrapped', 'integer', (column) => column.notNull().defaultTo(0))
          .addColumn('finished_at', 'text')
          .execute();
        await sql`insert into key_rewrap_lease (id, rows_rewrapped) values (1, 0)`.execute(db);
        // Every authenticated request already reads security_version; bumping it when a data key is added,
        // rewrapped or retired lets each node notice a rotation at its next request at no extra cost.
        await createSecurityVersionTriggers(db, dialect, ['data_keys']);
      },
    },
    '012-permission-sets': {
      async up(db: Kysely<unknown>) {
        // A set now holds its own permissions. The Global set holds the whole catalogue by definition and has
        // no rows. Any other set existing before this migration answered with the whole catalogue, so it gets
        // `/`, which implies every permission: no role's grants fall outside its set.
        await db.schema
          .createTable('permission_set_permissions')
          .addColumn('permission_set_id', 'text', (column) =>
            column.notNull().references('permission_sets.id').onDelete('cascade'),
          )
          .addColumn('permission', 'text', notNull)
          .addPrimaryKeyConstraint('permission_set_permissions_pk', ['permission_set_id', 'permission'])
          .execute();
        await sql`insert into permission_set_permissions (permission_set_id, permission)
          select id, '/' from permission_sets where id <> ${globalPermissionSetIdForMigration}`.execute(db);
        await sql`create unique index permission_sets_name_unique on permission_sets (lower(name))`.execute(
          db,
        );
      },
    },
    '011-portal-external-sign-in': {
      async up(db: Kysely<unknown>) {
        // The portal's client at a provider: PKCE with no client secret, so nothing secret is stored.
        await db.schema.alterTable('identity_providers').addColumn('client_id', 'text').execute();
        // Keyed by a hash of the state, so a copy of the table cannot answer a callback; deleted when used.
        await db.schema
          .createTable('portal_sign_in_attempts')
          .addColumn('state_hash', 'text', (column) => column.primaryKey())
          .addColumn('provider_id', 'text', (column) =>
            column.notNull().references('identity_providers.id').onDelete('cascade'),
          )
          .addColumn('nonce', 'text', (column) => column.notNull())
          .addColumn('code_challenge', 'text', (column) => column.notNull())
          .addColumn('expires_at', 'text', (column) => column.notNull())
          .execute();
        await db.schema
          .createTable('portal_external_sessions')
          .addColumn('id_hash', 'text', (column) => column.primaryKey())
          .addColumn('provider_id', 'text', (column) =>
            column.notNull().references('identity_providers.id').onDelete('cascade'),
          )
          .addColumn('subject', 'text', (column) => column.notNull())
          .addColumn('display_name', 'text', (column) => column.notNull())
          .addColumn('claims_json', 'text', (column) => column.notNull())
          .addColumn('created_at', 'text', (column) => column.notNull())
          .addColumn('last_seen_at', 'text', (column) => column.notNull())
          .execute();
      },
    },
  };
}

/** The Global permission set's id (admin-bootstrap.ts), spelt out because migrations import no module. */
const globalPermissionSetIdForMigration = '9d3bd3b6-1c3b-4bd5-8b2a-0f7a3f4b1a01';

/** Tables added by 008 whose changes must invalidate remembered callers, as 004 does for its tables. */
const identityTables = ['oauth_clients', 'identity_providers'] as const;

/**
 * SQLite cannot drop NOT NULL in place, so the table is rebuilt under its own name by the procedure SQLite
 * documents: foreign keys off (outside a transaction, where the pragma takes effect), copy every row with its
 * id, swap the tables, check that every certificate store still finds its container, then commit. The
 * AUTOINCREMENT counter is carried over so the id of a deleted container is still never reused.
 */
async function rebuildSqliteContainersWithNullableType(db: Kysely<unknown>): Promise<void> {
  await sql`pragma foreign_keys = off`.execute(db);
  try {
    await sql`begin`.execute(db);
    try {
      const sequence = await sql<{
        seq: number;
      }>`select seq from sqlite_sequence where name = 'certificate_store_containers'`.execute(db);
      await sql`create table certificate_store_containers_rebuilt (
        id integer primary key autoincrement,
        name text not null,
        cert_store_type integer,
        overwrite_schedules integer not null,
        schedule_json text,
        has_schedule integer not null default 0
      )`.execute(db);
      await sql`insert into certificate_store_containers_rebuilt
          (id, name, cert_store_type, overwrite_schedules, schedule_json, has_schedule)
        select id, name, cert_store_type, overwrite_schedules, schedule_json, has_schedule
        from certificate_store_containers`.execute(db);
      await sql`drop table certificate_store_containers`.execute(db);
      await sql`alter table certificate_store_containers_rebuilt rename to certificate_store_containers`.execute(
        db,
      );
      await sql`create unique index certificate_store_containers_name_unique on certificate_store_containers (lower(name))`.execute(
        db,
      );
      const highest = sequence.rows[0]?.seq;
      if (highest !== undefined) {
        await sql`delete from sqlite_sequence where name = 'certificate_store_containers'`.execute(db);
        await sql`insert into sqlite_sequence (name, seq) values ('certificate_store_containers', ${highest})`.execute(
          db,
        );
      }
      const broken = await sql`pragma foreign_key_check`.execute(db);
      if (broken.rows.length > 0) {
        throw new Error('Rebuilding certificate_store_containers left references that find no row');
      }
      await sql`commit`.execute(db);
    } catch (error) {
      await sql`rollback`.execute(db);
      throw error;
    }
  } finally {
    await sql`pragma foreign_keys = on`.execute(db);
  }
}

/**
 * Bumps the security version on every change to these tables, as migration 004 does for the tables it
 * names. Every table an authenticated caller's identity or permissions are read from needs these triggers.
 */
async function createSecurityVersionTriggers(
  db: Kysely<unknown>,
  dialect: DialectName,
  tables: readonly string[],
): Promise<void> {
  for (const table of tables) {
    if (dialect === 'postgres') {
      await sql
        .raw(
          `create trigger ${table}_bumps_security_version after insert or update or delete on ${table} ` +
            'for each statement execute function bump_security_version()',
        )
        .execute(db);
      continue;
    }
    for (const event of ['insert', 'update', 'delete']) {
      await sql
        .raw(
          `create trigger ${table}_${event}_bumps_security_version after ${event} on ${table} ` +
            'begin update security_version set version = version + 1 where id = 1; end',
        )
        .execute(db);
    }
  }
}

/** The tables migration 004 gave security-version triggers (role_claims was replaced in 007). */
const securityTables = ['users', 'roles', 'role_claims', 'role_permissions'] as const;
