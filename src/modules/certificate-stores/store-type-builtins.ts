import type { Storage } from '../../storage/storage.js';
import type { AuditWriter } from '../audit/audit-writer.js';
import { insertStoreType } from './store-type-repository.js';
import type {
  StoreTypeDefinition,
  StoreTypePropertyDefinition,
  StoreTypeRecord,
} from './store-type-model.js';
import {
  certificateFormats,
  customAliasOptions,
  passwordStyles,
  privateKeyOptions,
  storePropertyTypes,
} from './store-type-model.js';

function property(
  id: number,
  name: string,
  displayName: string,
  type: StoreTypePropertyDefinition['type'],
  defaultValue: string | null = null,
): StoreTypePropertyDefinition {
  return {
    id,
    name,
    displayName,
    type,
    dependsOn: null,
    defaultValue,
    required: false,
    validationOnCreation: null,
  };
}

// Remote stores are reached with these; they are secrets so they are sealed and never returned.
const serverCredentialProperties = [
  property(1, 'ServerUsername', 'Server Username', storePropertyTypes.Secret),
  property(2, 'ServerPassword', 'Server Password', storePropertyTypes.Secret),
  property(3, 'ServerUseSsl', 'Use SSL', storePropertyTypes.Bool, 'true'),
];

function definition(
  overrides: Partial<StoreTypeDefinition> & Pick<StoreTypeDefinition, 'inventoryJobType'>,
): StoreTypeDefinition {
  return {
    capability: null,
    localStore: false,
    supportedOperations: { add: true, create: true, discovery: true, enrollment: false, remove: true },
    properties: serverCredentialProperties,
    entryParameters: [],
    passwordOptions: { entrySupported: false, storeRequired: true, style: passwordStyles.Default },
    storePathType: null,
    storePathValue: null,
    privateKeyAllowed: privateKeyOptions.Optional,
    certificateFormat: certificateFormats.PFX,
    serverRequired: true,
    powerShell: false,
    blueprintAllowed: false,
    customAliasAllowed: customAliasOptions.Required,
    serverRegistration: null,
    inventoryEndpoint: null,
    managementJobType: null,
    discoveryJobType: null,
    enrollmentJobType: null,
    ...overrides,
  };
}

/**
 * Present from the first start so a new server is useful at once. Ids 0, 2 and 6 are the ones Keyfactor gives
 * these types, so scripts that filter on `Category -eq 0` keep working; PKCS#12 takes 1, which Keyfactor leaves
 * unused. Job type GUIDs are fixed so every node and every installation agrees on them.
 */
export const builtinStoreTypes: readonly StoreTypeRecord[] = Object.freeze([
  {
    storeType: 0,
    name: 'Java Keystore',
    shortName: 'JKS',
    isBuiltin: true,
    definition: definition({
      capability: 'JKS',
      inventoryJobType: '8a7787e9-0330-4cc4-8f5c-02ccd41ded8b',
      managementJobType: 'bb2b7d8b-9404-42dd-a2a2-16e7cda67bd3',
      discoveryJobType: '0102441b-9e15-4fc0-9b73-941585bf3c1d',
    }),
  },
  {
    storeType: 1,
    name: 'PKCS#12',
    shortName: 'PKCS12',
    isBuiltin: true,
    definition: definition({
      capability: 'PKCS12',
      inventoryJobType: 'ed1c6c86-5d6c-4abd-a03d-a70a3ee95e57',
      managementJobType: '4f0a3f56-9bd7-403a-b56c-69369105230f',
      discoveryJobType: '0b2578a8-8c0d-4894-af14-1e2097e0f8fc',
    }),
  },
  {
    storeType: 2,
    name: 'PEM File',
    shortName: 'PEM',
    isBuiltin: true,
    definition: definition({
      capability: 'PEM',
      certificateFormat: certificateFormats.PEM,
      // The store password, when set, encrypts the private key inside the PEM file.
      properties: [
        ...serverCredentialProperties,
        property(4, 'PrivateKeyPath', 'Separate Private Key File', storePropertyTypes.String),
      ],
      inventoryJobType: '334f0511-dfb6-472b-b5ad-65debd19ab6e',
      managementJobType: '4d3664cd-0603-4b7b-9ef0-afb64291b470',
      discoveryJobType: 'bd223bb6-3e43-4769-ba3f-62522fc464ac',
    }),
  },
  {
    storeType: 6,
    name: 'IIS Personal',
    shortName: 'IIS',
    isBuiltin: true,
    definition: definition({
      capability: 'IIS',
      supportedOperations: { add: true, create: false, discovery: false, enrollment: false, remove: true },
      // The Windows certificate store has no password of its own; access is by the server credentials.
      passwordOptions: { entrySupported: false, storeRequired: false, style: passwordStyles.Default },
      storePathValue: 'IIS Personal',
      privateKeyAllowed: privateKeyOptions.Required,
      customAliasAllowed: customAliasOptions.Optional,
      inventoryJobType: '438a20e6-3b57-4d57-8c33-093fb2bc1518',
      managementJobType: 'c3b09b14-0562-4690-b3c8-a6e21430fd4c',
    }),
  },
]);

/**
 * Inserts the built-in types that are missing and leaves existing rows alone, so an administrator's changes
 * survive restarts. Several nodes may start at once on one database: the insert does nothing on conflict,
 * and only the node whose insert wrote the row records it in the audit log.
 */
export async function seedBuiltinStoreTypes(storage: Storage, audit: AuditWriter): Promise<void> {
  for (const type of builtinStoreTypes) {
    await storage.transaction(async (tx) => {
      const inserted = await insertStoreType(tx, type, { skipIfPresent: true });
      if (!inserted) return;
      await audit.record(tx, {
        actor: 'Strongroom',
        category: 'CertificateStoreType',
        operation: 'Created',
        entityType: 'CertificateStoreType',
        auditIdentifier: type.shortName,
        immutableIdentifier: String(type.storeType),
        details: { name: type.name, builtin: true },
      });
    });
  }
}
