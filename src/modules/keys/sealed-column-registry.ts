import { sql } from 'kysely';
import type { RawBuilder } from 'kysely';
import type { SecretLocation } from '../../crypto/secret-cipher.js';
import { parameterSecretKey } from '../certificate-stores/store-secret-service.js';
import { sealedLocations } from '../pam-providers/pam-reference.js';

/**
 * One column that holds values sealed with a data key. `sealed` columns hold one sealed value (binary);
 * `sealed-parameters-json` columns hold a JSON array of PAM reference parameters whose secret-typed
 * entries carry a base64 `sealedValue`.
 */
export interface SealedColumn {
  readonly table: string;
  readonly column: string;
  readonly form: 'sealed' | 'sealed-parameters-json';
  /** The row's key, used to page through the table and to write one row back. */
  readonly keyColumns: readonly string[];
  /** How the associated-data location is formed, in words (docs/keys.md repeats these). */
  readonly locationRule: string;
  /** The FROM clause: the table aliased `t`, joined to whatever its location is read from. */
  readonly from: RawBuilder<unknown>;
  /** Extra select expressions, each aliased, that `locationOf` reads. */
  readonly locationSelect: RawBuilder<unknown> | undefined;
  /** Where a value of this row was sealed; for parameters JSON, `part` is the parameter's name. */
  locationOf(row: Readonly<Record<string, unknown>>, part?: string): SecretLocation;
}

/**
 * Every place a data key seals something. Key rotation rewraps exactly these, `keys status` counts them,
 * and a guard test fails when the database has a binary column that is neither listed here nor in
 * `unsealedBinaryColumns`, so a new sealed column cannot be forgotten by the rewrap. Add new sealed
 * columns here (and the table to src/backup/backup-tables.ts).
 */
export const sealedColumns: readonly SealedColumn[] = [
  {
    table: 'local_entries',
    column: 'value_sealed',
    form: 'sealed',
    keyColumns: ['id'],
    locationRule: "local_entries / '<provider_id>:<secret_name>' / value_sealed",
    from: sql`local_entries t`,
    locationSelect: undefined,
    locationOf: (row) => sealedLocations.localEntry(Number(row.provider_id), String(row.secret_name)),
  },
  {
    // Copied by the archive trigger from local_entries, so it stays sealed under the entry's location.
    table: 'local_entry_versions',
    column: 'value_sealed',
    form: 'sealed',
    keyColumns: ['id'],
    locationRule:
      "local_entries / '<provider_id>:<secret_name>' / value_sealed of the entry it archives (the trigger copies the ciphertext)",
    from: sql`local_entry_versions t join local_entries e on e.id = t.entry_id`,
    locationSelect: sql`e.provider_id as entry_provider_id, e.secret_name as entry_secret_name`,
    locationOf: (row) =>
      sealedLocations.localEntry(Number(row.entry_provider_id), String(row.entry_secret_name)),
  },
  {
    table: 'pam_provider_param_values',
    column: 'value_sealed',
    form: 'sealed',
    keyColumns: ['id'],
    locationRule: "pam_provider_param_values / '<provider_id>:<param_id>' / value_sealed",
    from: sql`pam_provider_param_values t`,
    locationSelect: undefined,
    locationOf: (row) => sealedLocations.providerParameter(Number(row.provider_id), Number(row.param_id)),
  },
  {
    table: 'certificate_store_secrets',
    column: 'value_sealed',
    form: 'sealed',
    keyColumns: ['store_id', 'secret_key'],
    locationRule: "certificate_store_secrets / '<store_id>:<secret_key>' / value_sealed",
    from: sql`certificate_store_secrets t`,
    locationSelect: undefined,
    locationOf: (row) => sealedLocations.storeSecret(String(row.store_id), String(row.secret_key)),
  },
  {
    table: 'certificate_store_secrets',
    column: 'parameters_json',
    form: 'sealed-parameters-json',
    keyColumns: ['store_id', 'secret_key'],
    locationRule:
      "certificate_store_secrets / '<store_id>:<secret_key>/parameters/<parameter name>' / value_sealed (each sealedValue in the JSON)",
    from: sql`certificate_store_secrets t`,
    locationSelect: undefined,
    locationOf: (row, part) =>
      sealedLocations.storeSecret(
        String(row.store_id),
        parameterSecretKey(String(row.secret_key), part ?? ''),
      ),
  },
  {
    table: 'oauth_signing_keys',
    column: 'private_jwk_sealed',
    form: 'sealed',
    keyColumns: ['kid'],
    locationRule: "oauth_signing_keys / '<kid>' / private_jwk_sealed",
    from: sql`oauth_signing_keys t`,
    locationSelect: undefined,
    locationOf: (row) => ({
      table: 'oauth_signing_keys',
      rowId: String(row.kid),
      column: 'private_jwk_sealed',
    }),
  },
];

/** Binary columns that hold no value sealed by a data key, and why. */
export const unsealedBinaryColumns: readonly { table: string; column: string; reason: string }[] = [
  {
    table: 'data_keys',
    column: 'wrapped_key',
    reason: 'data keys are wrapped by the master key; `keys rotate-master` rewraps them',
  },
];
