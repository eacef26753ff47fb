import type { DatabaseExecutor } from '../../storage/storage.js';

/**
 * What other areas (certificate stores) may learn about a PAM provider when a secret references it. Kept as
 * a narrow contract so the stores area never reads PAM tables or opens PAM secrets itself.
 */
export interface PamProviderReferenceInfo {
  id: number;
  name: string;
  /** True for the built-in local type, whose secrets are entries stored by Strongroom. */
  isLocal: boolean;
  remote: boolean;
  /** The parameters a referencing secret must supply, exactly these and no others. */
  instanceParameters: readonly { id: number; name: string; displayName: string | null; dataType: 1 | 2 }[];
}

export interface PamReferenceResolver {
  describeProvider(
    executor: DatabaseExecutor,
    providerId: number,
  ): Promise<PamProviderReferenceInfo | undefined>;
  localEntryExists(executor: DatabaseExecutor, providerId: number, secretName: string): Promise<boolean>;
  /** Opens a local entry's value; only for the resolution endpoint, never for a response of the Keyfactor API. */
  resolveLocalSecret(providerId: number, secretName: string): Promise<string | undefined>;
}

/** Where sealed values live; the associated data binds each ciphertext to exactly this place. */
export const sealedLocations = {
  localEntry: (providerId: number, secretName: string) => ({
    table: 'local_entries',
    rowId: `${providerId}:${secretName}`,
    column: 'value_sealed',
  }),
  providerParameter: (providerId: number, parameterId: number) => ({
    table: 'pam_provider_param_values',
    rowId: `${providerId}:${parameterId}`,
    column: 'value_sealed',
  }),
  storeSecret: (storeId: string, secretKey: string) => ({
    table: 'certificate_store_secrets',
    rowId: `${storeId}:${secretKey}`,
    column: 'value_sealed',
  }),
};
