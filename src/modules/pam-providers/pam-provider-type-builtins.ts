import type { Storage } from '../../storage/storage.js';
import { insertProviderType } from './pam-provider-type-repository.js';

export interface BuiltinParameter {
  name: string;
  displayName: string;
  dataType: 1 | 2;
  instanceLevel: boolean;
}

export interface BuiltinProviderType {
  id: string;
  name: string;
  parameters: readonly BuiltinParameter[];
}

/** The type whose secrets Strongroom stores itself; on-premises Command calls it `LocalDB`. */
export const localProviderTypeId = 'faf6af1d-09fb-482c-acdd-e49be0183668';

const parameter = (
  name: string,
  displayName: string,
  dataType: 1 | 2,
  instanceLevel: boolean,
): BuiltinParameter => ({ name, displayName, dataType, instanceLevel });

/**
 * Present from the first start and immutable. The GUIDs are fixed so every installation (and every node of
 * one) agrees on them; the third-party definitions are the ones each extension's integration manifest
 * publishes (contract §9.1), so a Keyfactor configuration can be recreated here unchanged.
 */
export const builtinProviderTypes: readonly BuiltinProviderType[] = Object.freeze([
  {
    id: localProviderTypeId,
    name: 'LocalDB',
    // A certificate store names the entry it uses through this instance-level parameter.
    parameters: [parameter('SecretName', 'Secret Name', 1, true)],
  },
  {
    id: 'de8dd7b6-5987-4233-ac2f-60aea68c1b4e',
    name: 'Hashicorp-Vault',
    parameters: [
      parameter('Host', 'Vault Host', 1, false),
      parameter('Token', 'Vault Token', 2, false),
      parameter('Path', 'KV Engine Path', 1, false),
      parameter('Secret', 'KV Secret Name', 1, true),
      parameter('Key', 'KV Secret Key', 1, true),
    ],
  },
  {
    id: '25d606f0-8060-4c7c-8d7b-395d71bd736a',
    name: 'CyberArk-CentralCredentialProvider',
    parameters: [
      parameter('AppId', 'Application ID', 1, false),
      parameter('Host', 'CyberArk Host and Port', 1, false),
      parameter('Site', 'CyberArk API Site', 1, false),
      parameter('Safe', 'Safe', 1, true),
      parameter('Folder', 'Folder', 1, true),
      parameter('Object', 'Object', 1, true),
    ],
  },
  {
    id: 'b399f738-62bb-433a-a4b2-abf3f0438300',
    name: 'Delinea-SecretServer',
    parameters: [
      parameter('Host', 'Secret Server URL', 1, false),
      parameter('Username', 'Secret Server Username', 2, false),
      parameter('Password', 'Secret Server Password', 2, false),
      parameter('SecretId', 'Secret ID', 1, true),
      parameter('SecretFieldName', 'Secret Field Name', 1, true),
    ],
  },
  {
    id: '449d3e96-40fb-4e4b-ab52-5f9c317fad63',
    name: 'Azure-KeyVault',
    parameters: [
      parameter('KeyVaultUri', 'Key Vault URI', 1, false),
      parameter('AuthorityHost', 'Authority Host', 1, false),
      parameter('SecretId', 'Secret ID', 1, true),
    ],
  },
]);

/**
 * Inserts the built-in types that are missing. Several nodes may start at once on one database: each type row
 * is inserted with "do nothing on conflict", and only the transaction that actually wrote it adds the
 * parameters, so a type never ends up with its parameters twice or half-written.
 */
export async function seedBuiltinProviderTypes(storage: Storage, now: () => Date): Promise<void> {
  for (const type of builtinProviderTypes) {
    await storage.transaction((tx) =>
      insertProviderType(
        tx,
        { ...type, isBuiltin: true, createdAt: now().toISOString() },
        { skipIfPresent: true },
      ),
    );
  }
}
