/** The shapes the portal reads and sends, as the API documents them (docs/*.md, /KeyfactorAPI/swagger). */

/** An external identity provider the portal offers "Sign in with" for. */
export interface SignInProvider {
  AuthenticationScheme: string;
  DisplayName: string;
}

export interface SessionInfo {
  Username: string;
  Groups: string[];
}

export interface ProviderTypeParam {
  Id: number;
  Name: string;
  DisplayName: string;
  DataType: number;
  InstanceLevel: boolean;
}

export interface ProviderType {
  Id: string;
  Name: string;
  Parameters: ProviderTypeParam[];
}

export interface ProviderParamValue {
  Id?: number;
  Value: string | null;
  ProviderTypeParam: { Id?: number; Name: string; DisplayName?: string; DataType?: number };
}

export interface Provider {
  Id: number;
  Name: string;
  Remote: boolean;
  ProviderType: { Id: string; Name: string; ProviderTypeParams: ProviderTypeParam[] };
  ProviderTypeParamValues: ProviderParamValue[];
}

export interface Entry {
  ProviderId: number;
  SecretName: string;
  Description: string | null;
}

export interface EntryDetail extends Entry {
  Version: number;
  CreatedAt: string;
  UpdatedAt: string;
  UpdatedBy: string;
}

export interface EntryVersion {
  Version: number;
  Description: string | null;
  ChangedAt: string;
  ChangedBy: string;
  IsCurrent: boolean;
}

export interface StorePassword {
  HasValue: boolean;
  IsManaged: boolean;
  ProviderId: number | null;
  ProviderTypeParameterValues: { Value: string | null; ProviderTypeParam: { Name: string } }[];
}

export interface Store {
  Id: string;
  ContainerId: number | null;
  ContainerName: string | null;
  DisplayName: string;
  ClientMachine: string;
  Storepath: string;
  CertStoreType: number;
  Properties: string;
  Password: StorePassword;
}

export interface Container {
  Id: number;
  Name: string;
  StoreCount: number;
}

export interface StoreType {
  StoreType: number;
  Name: string;
  ShortName: string;
  PasswordOptions: { EntrySupported: boolean; StoreRequired: boolean };
}

export interface RoleSummary {
  Id: number;
  Name: string;
  Immutable: boolean;
  ClaimsCount: number;
}

export interface RoleClaim {
  ClaimType: string;
  ClaimValue: string;
  Description: string;
  Provider: { AuthenticationScheme: string } | null;
}

export interface Role {
  Id: number;
  Name: string;
  Description: string;
  Immutable: boolean;
  PermissionSetId: string;
  Permissions: string[];
  Claims: RoleClaim[];
}

export interface ProviderGrant {
  PamProviderId: number;
  Name: string | null;
  Permissions: string[];
}

export interface ContainerGrant {
  ContainerId: number;
  Name: string | null;
  Permission: string;
}

export interface User {
  Id: number;
  Username: string;
  Groups: string[];
  CreatedAt: string;
  UpdatedAt: string;
}

export interface AuditEntry {
  Id: number;
  Timestamp: string;
  Message: string;
  Category: number;
  Operation: number;
  Level: number;
  User: string;
  EntityType: string;
  AuditIdentifier: string;
  ImmutableIdentifier: string;
}

export interface ChainReport {
  Intact: boolean;
  EntriesChecked: number;
  PendingEntries: number;
  FindingCount: number;
  LastEntry: { Id: number; Sequence: number } | null;
  LatestCheckpoint: { Sequence: number; CreatedAt?: string; [field: string]: unknown } | null;
  Findings: { Kind?: string; Message?: string; [field: string]: unknown }[];
}

/** A store password in one of its three forms, as PUT /CertificateStores/Password takes it. */
export type NewStorePassword =
  { SecretValue: string } | { Provider: number; Parameters: Record<string, string> } | Record<string, never>;

export interface OAuthClient {
  ClientId: string;
  Description: string;
  Enabled: boolean;
  CreatedAt: string;
  UpdatedAt: string;
}

/** The answer to creating a client or rotating its secret: the only time the secret is ever sent. */
export interface OAuthClientWithSecret extends OAuthClient {
  ClientSecret: string;
}
