import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppError, AppErrorCode } from '../errors/app-error.js';
import { isAppError } from '../errors/app-error.js';
import { isDatabaseUnavailable } from '../storage/database-availability.js';
import { describeValidationError } from './validation.js';

/** The single table from failure kind to HTTP. Keyfactor's codes are not public, so ours are our own. */
const httpByCode: Record<AppErrorCode, { status: number; errorCode: string }> = {
  validation: { status: 400, errorCode: '0xA0110001' },
  unauthenticated: { status: 401, errorCode: '0xA0110002' },
  invalid_token: { status: 401, errorCode: '0xA011000B' },
  forbidden: { status: 403, errorCode: '0xA0110003' },
  not_found: { status: 404, errorCode: '0xA0110004' },
  conflict: { status: 409, errorCode: '0xA0110005' },
  precondition_failed: { status: 412, errorCode: '0xA0110006' },
  payload_too_large: { status: 413, errorCode: '0xA0110007' },
  unsupported_media_type: { status: 415, errorCode: '0xA0110008' },
  unavailable: { status: 503, errorCode: '0xA0110009' },
  internal: { status: 500, errorCode: '0xA011000A' },
};

const databaseRetryAfterSeconds = 2;

export interface ErrorResponse {
  ErrorCode: string;
  Message: string;
}

export function errorBody(code: AppErrorCode, message: string): ErrorResponse {
  return { ErrorCode: httpByCode[code].errorCode, Message: message };
}

/** Fastify's own failures (bad JSON, body too large, ...) mapped to our codes, with our own words. */
function classifyFrameworkError(error: FastifyError): { code: AppErrorCode; message: string } | undefined {
  if (error.validation !== undefined) {
    return {
      code: 'validation',
      message: describeValidationError(error.validation as never, error.validationContext),
    };
  }
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { code: 'validation', message: 'The request body is not valid JSON' };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { code: 'payload_too_large', message: 'The request body is larger than this server accepts' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return {
        code: 'unsupported_media_type',
        message: 'The request body must be JSON (Content-Type: application/json)',
      };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { code: 'validation', message: 'The Content-Length header does not match the body' };
    default:
      break;
  }
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    return { code: 'validation', message: 'The request could not be read' };
  }
  return undefined;
}

/** Told of every refused sign-in and every 403 before it is answered; only refusals pay for it. */
export type DenialListener = (request: FastifyRequest, error: AppError) => Promise<void>;

export function registerErrorHandling(app: FastifyInstance, onDenied?: DenialListener): void {
  app.setErrorHandler(async (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (isAppError(error)) {
      if (onDenied !== undefined && (error.code === 'forbidden' || error.attemptedUsername !== undefined)) {
        // Failing to record must not change the answer the caller gets; the failure is logged instead.
        await onDenied(request, error).catch((failure: unknown) =>
          request.log.error({ err: failure }, 'recording a denied request failed'),
        );
      }
      if (error.code === 'internal') request.log.error({ err: error }, 'internal failure');
      // A Basic challenge makes a browser open its own password dialog over the portal's sign-in form; the
      // portal marks its requests as XMLHttpRequest, as browser clients of Keyfactor's API do.
      const isBrowserApp = request.headers['x-keyfactor-requested-with'] === 'XMLHttpRequest';
      if (error.code === 'unauthenticated' && !isBrowserApp)
        void reply.header('WWW-Authenticate', 'Basic realm="Strongroom"');
      // RFC 6750 section 3: a refused bearer token is answered with the Bearer challenge, never a Basic one.
      if (error.code === 'invalid_token') {
        void reply.header('WWW-Authenticate', 'Bearer error="invalid_token"');
      }
      return reply.status(httpByCode[error.code].status).send(errorBody(error.code, error.message));
    }
    const classified = classifyFrameworkError(error);
    if (classified !== undefined) {
      return reply
        .status(httpByCode[classified.code].status)
        .send(errorBody(classified.code, classified.message));
    }
    if (isDatabaseUnavailable(error)) {
      // Expected while the database restarts or fails over; the pool reconnects by itself, so the caller
      // is told to retry rather than shown a failure. The driver's words stay out of the answer.
      request.log.warn({ err: error }, 'database unavailable');
      return reply
        .status(503)
        .header('Retry-After', String(databaseRetryAfterSeconds))
        .send(errorBody('unavailable', 'The database is unavailable; retry shortly'));
    }
    // Driver messages can quote values from the query; log the error object (redacted) and answer generically.
    request.log.error({ err: error }, 'unexpected failure');
    return reply
      .status(500)
      .send(errorBody('internal', `An unexpected error occurred (request id ${String(request.id)})`));
  });

  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) =>
    reply
      .status(404)
      .send(
        errorBody('not_found', `No endpoint matches ${request.method} ${request.url.split('?')[0] ?? ''}`),
      ),
  );
}
