/** Keyfactor's property kinds; names and numbers are both accepted on input (kfutil sends "Secret"). */
export const storePropertyTypes = { String: 0, Bool: 1, MultipleChoice: 2, Secret: 3 } as const;
export type StorePropertyType = (typeof storePropertyTypes)[keyof typeof storePropertyTypes];

export const privateKeyOptions = { Forbidden: 0, Optional: 1, Required: 2 } as const;
export const customAliasOptions = { Forbidden: 0, Optional: 1, Required: 2 } as const;
export const passwordStyles = { Default: 0, Custom: 1 } as const;
// The docs call 1 PEM; the published schema allows only 1 and 2, so 2 is the PFX form.
export const certificateFormats = { PEM: 1, PFX: 2 } as const;

export interface StoreTypePropertyDefinition {
  id: number;
  name: string;
  displayName: string | null;
  type: StorePropertyType;
  dependsOn: string | null;
  defaultValue: string | null;
  required: boolean | null;
  validationOnCreation: number | null;
}

export interface EntryParameterDefinition {
  id: number;
  name: string;
  displayName: string | null;
  type: number;
  dependsOn: string | null;
  defaultValue: string | null;
  options: string | null;
  validation: {
    hasPrivateKey: number | null;
    onAdd: number | null;
    onRemove: number | null;
    onODKG: number | null;
  } | null;
}

/** Everything about a store type except its id and names, which have columns of their own. */
export interface StoreTypeDefinition {
  capability: string | null;
  localStore: boolean;
  supportedOperations: {
    add: boolean;
    create: boolean;
    discovery: boolean;
    enrollment: boolean;
    remove: boolean;
  };
  properties: StoreTypePropertyDefinition[];
  entryParameters: EntryParameterDefinition[];
  passwordOptions: { entrySupported: boolean; storeRequired: boolean; style: number };
  storePathType: string | null;
  storePathValue: string | null;
  privateKeyAllowed: number;
  certificateFormat: number;
  serverRequired: boolean;
  powerShell: boolean;
  blueprintAllowed: boolean;
  customAliasAllowed: number;
  serverRegistration: number | null;
  inventoryEndpoint: string | null;
  inventoryJobType: string;
  managementJobType: string | null;
  discoveryJobType: string | null;
  enrollmentJobType: string | null;
}

export interface StoreTypeRecord {
  storeType: number;
  name: string;
  shortName: string;
  isBuiltin: boolean;
  definition: StoreTypeDefinition;
}

/** What a store's `Properties` may hold, as the store code needs to know it. */
export interface StorePropertyRule {
  name: string;
  type: StorePropertyType;
  required: boolean;
}

/**
 * A type that "needs a server" gives its stores the server credentials whether or not its property list names
 * them; this is where Keyfactor keeps them since the old /CertificateStores/Server records were retired.
 */
const serverProperties: readonly StorePropertyRule[] = [
  { name: 'ServerUsername', type: storePropertyTypes.Secret, required: false },
  { name: 'ServerPassword', type: storePropertyTypes.Secret, required: false },
  { name: 'ServerUseSsl', type: storePropertyTypes.Bool, required: false },
];

export function storePropertyRules(definition: StoreTypeDefinition): StorePropertyRule[] {
  const rules: StorePropertyRule[] = definition.properties.map((property) => ({
    name: property.name,
    type: property.type,
    required: property.required === true,
  }));
  if (definition.serverRequired) {
    for (const implied of serverProperties) {
      if (!rules.some((rule) => rule.name.toLowerCase() === implied.name.toLowerCase())) rules.push(implied);
    }
  }
  return rules;
}

/**
 * A store can hold a password when its type asks for a store password or supports entry passwords; a type
 * with both options off (most IIS and F5 types) has nothing the password would unlock.
 */
export function supportsStorePassword(definition: StoreTypeDefinition): boolean {
  return definition.passwordOptions.storeRequired || definition.passwordOptions.entrySupported;
}

export function describeStoreType(type: Pick<StoreTypeRecord, 'storeType' | 'shortName'>): string {
  return `certificate store type '${type.shortName}' (${type.storeType})`;
}

/** A store type as a caller describes it; the service assigns ids and job types. */
export interface StoreTypeInput {
  name: string;
  shortName: string;
  definition: Omit<
    StoreTypeDefinition,
    | 'properties'
    | 'entryParameters'
    | 'inventoryJobType'
    | 'managementJobType'
    | 'discoveryJobType'
    | 'enrollmentJobType'
  > & {
    properties: Omit<StoreTypePropertyDefinition, 'id'>[];
    entryParameters: Omit<EntryParameterDefinition, 'id'>[];
  };
  jobTypes: {
    inventory: string | undefined;
    management: string | null | undefined;
    discovery: string | null | undefined;
    enrollment: string | null | undefined;
  };
}
