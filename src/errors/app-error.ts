/**
 * The closed set of expected failures. Services and repositories throw these; the HTTP layer maps each
 * code to a status in one table (src/http/error-handler.ts). Messages speak to the caller and must never
 * contain a secret value.
 */
export const appErrorCodes = [
  'validation',
  'unauthenticated',
  'invalid_token',
  'forbidden',
  'not_found',
  'conflict',
  'precondition_failed',
  'payload_too_large',
  'unsupported_media_type',
  'unavailable',
  'internal',
] as const;

export type AppErrorCode = (typeof appErrorCodes)[number];

export interface AppErrorOptions {
  cause?: unknown;
  /** For a refusal: the permission the caller lacks, recorded in the Authorization Failure audit entry. */
  missingPermission?: string;
  /** For a refused sign-in: the user name it claimed, recorded in the Authorization Failure audit entry. */
  attemptedUsername?: string;
}

export class AppError extends Error {
  readonly code: AppErrorCode;
  readonly missingPermission: string | undefined;
  readonly attemptedUsername: string | undefined;

  constructor(code: AppErrorCode, message: string, options?: AppErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.missingPermission = options?.missingPermission;
    this.attemptedUsername = options?.attemptedUsername;
  }
}

export const validationError = (message: string): AppError => new AppError('validation', message);
export const notFoundError = (message: string): AppError => new AppError('not_found', message);
export const conflictError = (message: string): AppError => new AppError('conflict', message);
export const forbiddenError = (message: string, missingPermission?: string): AppError =>
  new AppError('forbidden', message, missingPermission === undefined ? undefined : { missingPermission });

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}
