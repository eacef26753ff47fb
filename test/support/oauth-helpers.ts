import { globalPermissionSetId } from '../../src/modules/security/admin-bootstrap.js';
import type { ApiResponse, TestServer } from './test-server.js';

export const formContentType = { 'content-type': 'application/x-www-form-urlencoded' };

export interface TokenAnswer {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope?: string;
}

/** POSTs a form to the built-in token endpoint, as OAuth libraries do. */
export function requestToken(
  server: TestServer,
  fields: Record<string, string>,
  authorization?: string,
): Promise<ApiResponse> {
  return server.request('POST', '/strongroom/oauth/token', {
    as: null,
    rawBody: new URLSearchParams(fields).toString(),
    headers: { ...formContentType, ...(authorization === undefined ? {} : { authorization }) },
  });
}

export const clientBasic = (clientId: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;

export async function createClient(server: TestServer, clientId: string): Promise<string> {
  const created = await server.request('POST', '/strongroom/oauth/clients', {
    body: { ClientId: clientId, Description: `test client ${clientId}` },
  });
  if (created.status !== 200) throw new Error(`creating client ${clientId} failed: ${created.text}`);
  return (created.body as { ClientSecret: string }).ClientSecret;
}

/** A role granting these permissions to the holder of one claim. */
export async function createClaimRole(
  server: TestServer,
  name: string,
  claim: { ClaimType: string; ClaimValue: string; ProviderAuthenticationScheme: string },
  permissions: readonly string[],
): Promise<number> {
  const role = await server.request('POST', '/KeyfactorAPI/Security/Roles', {
    apiVersion: 2,
    body: {
      Name: name,
      Description: `claims ${claim.ClaimType} ${claim.ClaimValue}`,
      PermissionSetId: globalPermissionSetId,
      Permissions: permissions,
      Claims: [{ ...claim, Description: '' }],
    },
  });
  if (role.status !== 200) throw new Error(`creating role ${name} failed: ${role.text}`);
  return (role.body as { Id: number }).Id;
}

export const bearer = (token: string) => ({ as: null, headers: { authorization: `Bearer ${token}` } });
