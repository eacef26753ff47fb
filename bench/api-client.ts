export interface ApiResponse {
  status: number;
  body: unknown;
}

export interface ApiClient {
  /** The server's address, for calls that are not JSON (the OAuth token endpoint takes a form). */
  readonly baseUrl: string;
  /** The headers it sends on every call; see keyfactorHeaders. */
  readonly headers: Record<string, string>;
  request(method: string, path: string, body?: unknown): Promise<ApiResponse>;
  /** Like request, but anything other than a 2xx is an error that names the call. */
  expectOk(method: string, path: string, body?: unknown): Promise<unknown>;
}

export interface Credentials {
  username: string;
  password: string;
}

export function basicAuthorization(credentials: Credentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}

/** What every Keyfactor API call carries: Basic credentials and the requested-with guard. */
export function keyfactorHeaders(credentials: Credentials): Record<string, string> {
  return { authorization: basicAuthorization(credentials), 'x-keyfactor-requested-with': 'APIClient' };
}

export function createApiClient(baseUrl: string, credentials: Credentials): ApiClient {
  const headers = keyfactorHeaders(credentials);
  const client: ApiClient = {
    baseUrl,
    headers,
    async request(method, path, body) {
      const response = await fetch(`${baseUrl}${path}`, {
        method,
        headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
    },
    async expectOk(method, path, body) {
      const response = await client.request(method, path, body);
      if (response.status < 200 || response.status > 299) {
        throw new Error(`${method} ${path} answered ${response.status}: ${JSON.stringify(response.body)}`);
      }
      return response.body;
    },
  };
  return client;
}
