import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../errors/app-error.js';

/** No Keyfactor request is more than a few levels deep; 64 leaves room for any real client. */
export const maxBodyDepth = 64;

/**
 * How much of an over-long body is read and thrown away before the 413 goes out. A client that is still
 * sending when the server answers and closes sees a reset instead of the answer (Node's fetch does), so the
 * server reads the rest first; past this bound it answers anyway, so an endless body cannot hold a worker.
 */
export const overflowDrainBytes = 16 * 1024 * 1024;

type ParseDone = (error: Error | null, body?: unknown) => void;

/**
 * Replaces Fastify's JSON parser. Three differences: an empty body is no body (curl and PowerShell send
 * `Content-Type: application/json` with nothing after it, and Keyfactor's server accepts that); an
 * over-long body is drained before the 413 so the client can read it; and a body nested deeper than
 * `maxBodyDepth` is refused before it is parsed, so no later walk over the value can exhaust the stack.
 */
export function registerJsonBodyParser(app: FastifyInstance, bodyLimitBytes: number): void {
  // Fastify's own parser refuses `__proto__` and `constructor.prototype` keys; it stays the one that parses.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    'application/json',
    (request: FastifyRequest, payload: Readable, done: ParseDone) => {
      readBody(request, payload, bodyLimitBytes, (error, text) => {
        if (error !== null || text === undefined) {
          done(error);
          return;
        }
        if (text.trim() === '') {
          done(null, undefined);
          return;
        }
        if (jsonDepth(text) > maxBodyDepth) {
          done(
            new AppError('validation', `The request body is nested more than ${maxBodyDepth} levels deep`),
          );
          return;
        }
        void parseJson(request, text, done);
      });
    },
  );
}

function tooLarge(): AppError {
  return new AppError('payload_too_large', 'The request body is larger than this server accepts');
}

function readBody(
  request: FastifyRequest,
  payload: Readable,
  limit: number,
  done: (error: Error | null, text?: string) => void,
): void {
  const declaredLength = Number(request.headers['content-length']);
  if (declaredLength > limit + overflowDrainBytes) {
    done(tooLarge());
    return;
  }
  const chunks: Buffer[] = [];
  let receivedBytes = 0;
  let settled = false;
  const finish = (error: Error | null, text?: string) => {
    if (settled) return;
    settled = true;
    payload.removeListener('data', onData);
    payload.removeListener('end', onEnd);
    payload.removeListener('error', onError);
    done(error, text);
  };
  function onData(chunk: Buffer | string) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    receivedBytes += bytes.length;
    if (receivedBytes > limit + overflowDrainBytes) {
      finish(tooLarge());
      return;
    }
    // Past the limit the rest is only read so the answer can be delivered; nothing more is kept.
    if (receivedBytes <= limit) chunks.push(bytes);
  }
  function onEnd() {
    if (receivedBytes > limit) {
      finish(tooLarge());
      return;
    }
    if (!Number.isNaN(declaredLength) && receivedBytes !== declaredLength) {
      finish(new AppError('validation', 'The Content-Length header does not match the body'));
      return;
    }
    finish(null, Buffer.concat(chunks, receivedBytes).toString('utf8'));
  }
  function onError() {
    finish(new AppError('validation', 'The request body could not be read'));
  }
  payload.on('data', onData);
  payload.on('end', onEnd);
  payload.on('error', onError);
  payload.resume();
}

/** The deepest nesting of arrays and objects in a JSON text, counted without parsing it. */
export function jsonDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let index = 0; index < text.length; index += 1) {
    const character = text.charCodeAt(index);
    if (inString) {
      if (character === 0x5c) index += 1;
      else if (character === 0x22) inString = false;
    } else if (character === 0x22) {
      inString = true;
    } else if (character === 0x5b || character === 0x7b) {
      depth += 1;
      if (depth > deepest) deepest = depth;
    } else if (character === 0x5d || character === 0x7d) {
      depth -= 1;
    }
  }
  return deepest;
}

/** A route that declares a body schema needs a body; saying so beats "must be of type object". */
export function requireBody(bodySchema: unknown, body: unknown): void {
  if (bodySchema !== undefined && body === undefined) {
    throw new AppError('validation', 'The request body is required');
  }
}

/**
 * PostgreSQL text cannot hold U+0000 and refuses the whole statement, so such a value would otherwise end as a
 * 500 on one database and be stored on the other. No name, description or secret needs it. The walk keeps its
 * own stack, so no input can make it overflow the call stack.
 */
export function rejectNulCharacters(value: unknown, where: string): void {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const item = pending.pop();
    if (typeof item === 'string') {
      if (item.includes('\u0000')) {
        throw new AppError(
          'validation',
          `The ${where} contains a NUL character (U+0000), which no field accepts`,
        );
      }
    } else if (item !== null && typeof item === 'object') {
      for (const [key, nested] of Object.entries(item)) pending.push(key, nested);
    }
  }
}
