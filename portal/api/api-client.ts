import type { OperationName } from './api-operations.js';
import { apiOperations } from './api-operations.js';

/** A refusal from the API, carrying its own Message (Keyfactor's error shape always has one). */
export class ApiError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

export interface CallOptions {
  params?: Record<string, string | number>;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  /** Roles speak Keyfactor's v2 shape (permission strings); everything else v1. */
  apiVersion?: 1 | 2;
}

export interface ApiResult<T> {
  data: T;
  headers: Headers;
}

let onSessionEnded: () => void = () => undefined;

/** The app is told when a call finds the session over, so it can show the sign-in page again. */
export function whenSessionEnds(listener: () => void): void {
  onSessionEnded = listener;
}

function pathFor(template: string, params: Record<string, string | number> = {}): string {
  return template.replace(/\{(\w+)\}/g, (_whole, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`missing path parameter ${name}`);
    return encodeURIComponent(String(value));
  });
}

async function messageOf(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { Message?: unknown };
    if (typeof body.Message === 'string') return body.Message;
  } catch {
    // Not JSON: fall through to the status line.
  }
  return `The server answered ${response.status} ${response.statusText}`;
}

async function send(name: OperationName, options: CallOptions): Promise<Response> {
  const operation = apiOperations[name];
  const url = new URL(pathFor(operation.path, options.params), window.location.origin);
  for (const [key, value] of Object.entries(options.query ?? {})) {
    if (value !== undefined && value !== '') url.searchParams.set(key, String(value));
  }
  const headers: Record<string, string> = {
    // Marks the request as the portal's own: the session cookie is refused without it.
    'x-keyfactor-requested-with': 'XMLHttpRequest',
    'x-keyfactor-api-version': String(options.apiVersion ?? 1),
    accept: 'application/json',
    ...options.headers,
  };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(url, {
    method: operation.method,
    headers,
    credentials: 'same-origin',
    cache: 'no-store',
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  if (!response.ok) {
    const message = await messageOf(response);
    if (response.status === 401 && name !== 'signIn') onSessionEnded();
    throw new ApiError(response.status, message);
  }
  return response;
}

/** Calls one listed operation and reads its JSON answer (undefined for 204). */
export async function call<T>(name: OperationName, options: CallOptions = {}): Promise<ApiResult<T>> {
  const response = await send(name, options);
  const text = await response.text();
  return { data: (text === '' ? undefined : JSON.parse(text)) as T, headers: response.headers };
}

/** Calls one listed operation and returns its body as a file (the audit CSV). */
export async function download(name: OperationName, options: CallOptions = {}): Promise<Blob> {
  return (await send(name, options)).blob();
}
