import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { ApiResponse, Credentials, TestServer } from './test-server.js';

/** Shapes and helpers the certificate-store suites share. */
export interface KeyfactorSecretBody {
  Value: string | null;
  SecretTypeGuid: string;
  InstanceId: number | null;
  InstanceGuid: string | null;
  ProviderTypeParameterValues: {
    Id: number;
    Value: string | null;
    ParameterId: number;
    InstanceGuid: string | null;
    ProviderTypeParam: { Id: number; Name: string; DataType: number; InstanceLevel: boolean };
  }[];
  ProviderId: number | null;
  IsManaged: boolean;
  HasValue: boolean;
}

export interface StoreBody {
  Id: string;
  ContainerId: number | null;
  ContainerName: string | null;
  DisplayName: string;
  ClientMachine: string;
  Storepath: string;
  CertStoreType: number;
  Approved: boolean;
  CreateIfMissing: boolean;
  Properties: string;
  AgentId: string | null;
  AgentAssigned: boolean;
  InventorySchedule: unknown;
  SetNewPasswordAllowed: boolean;
  Password: KeyfactorSecretBody;
}

export const stores = '/KeyfactorAPI/CertificateStores';
export const storeTypes = '/KeyfactorAPI/CertificateStoreTypes';
export const containers = '/KeyfactorAPI/CertificateStoreContainers';
export const mask = '********************';
export const builtinTypes = { jks: 0, pkcs12: 1, pem: 2, iis: 6 } as const;

export const message = (response: ApiResponse): string => (response.body as { Message: string }).Message;

export function expectStatus(response: ApiResponse, status: number): void {
  assert.equal(response.status, status, `expected ${status}, got ${response.status}: ${response.text}`);
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export async function createStore(
  server: TestServer,
  body: Record<string, unknown> = {},
  as?: Credentials,
): Promise<StoreBody> {
  const response = await server.request('POST', stores, {
    ...(as === undefined ? {} : { as }),
    body: {
      ClientMachine: uniqueName('host'),
      Storepath: '/opt/app/keystore.jks',
      CertStoreType: 0,
      ...body,
    },
  });
  expectStatus(response, 200);
  return response.body as StoreBody;
}

export async function getStore(server: TestServer, id: string, as?: Credentials): Promise<StoreBody> {
  const response = await server.request('GET', `${stores}/${id}`, as === undefined ? {} : { as });
  expectStatus(response, 200);
  return response.body as StoreBody;
}

export async function createContainer(
  server: TestServer,
  name = uniqueName('container'),
  certStoreType = 0,
): Promise<number> {
  const response = await server.request('POST', containers, {
    body: { Name: name, CertStoreType: certStoreType },
  });
  expectStatus(response, 200);
  return (response.body as { Id: number }).Id;
}

export function secretProperty(store: StoreBody, name: string): KeyfactorSecretBody {
  const properties = JSON.parse(store.Properties) as Record<string, unknown>;
  const value = properties[name];
  assert.ok(typeof value === 'object' && value !== null, `property ${name} is not a secret object`);
  return value as KeyfactorSecretBody;
}

/** A LocalDB provider (secrets Strongroom stores itself) and one entry in it. */
export async function createLocalProvider(server: TestServer): Promise<number> {
  const types = await server.request('GET', '/KeyfactorAPI/PamProviders/Types');
  expectStatus(types, 200);
  const localType = (types.body as { Id: string; Name: string }[]).find((type) => type.Name === 'LocalDB');
  assert.ok(localType !== undefined, 'the LocalDB provider type exists');
  const provider = await server.request('POST', '/KeyfactorAPI/PamProviders', {
    body: { Name: uniqueName('local'), ProviderType: { Id: localType.Id }, ProviderTypeParamValues: [] },
  });
  expectStatus(provider, 200);
  return (provider.body as { Id: number }).Id;
}

export async function createLocalEntry(
  server: TestServer,
  providerId: number,
  secretName: string,
  secretValue: string,
): Promise<void> {
  const entry = await server.request('POST', `/KeyfactorAPI/PamProviders/Local/${providerId}/Entries`, {
    body: { SecretName: secretName, SecretValue: secretValue },
  });
  expectStatus(entry, 200);
}

/** A remote Hashicorp Vault provider: referenced by stores, resolved by orchestrators, not by this server. */
export async function createRemoteVaultProvider(server: TestServer): Promise<number> {
  const provider = await server.request('POST', '/KeyfactorAPI/PamProviders', {
    body: {
      Name: uniqueName('vault'),
      Remote: true,
      ProviderType: { Id: 'de8dd7b6-5987-4233-ac2f-60aea68c1b4e' },
      ProviderTypeParamValues: [],
    },
  });
  expectStatus(provider, 200);
  return (provider.body as { Id: number }).Id;
}
