import SerializerSelector from '@fastify/fast-json-stringify-compiler';
import type { FastifySerializerCompiler } from 'fastify';

// Fastify's own default: fast-json-stringify, with no shared schemas (the app adds none) and default options.
const compileWithFastJsonStringify = SerializerSelector()({}, {});

/**
 * Fastify's response serializer, built on a route's first response instead of when the server starts:
 * building one for every route and status at start cost 0.1-0.15 s, for routes a process may not answer for
 * minutes. What it writes is unchanged.
 */
export const serializerCompiler: FastifySerializerCompiler<unknown> = (route) => {
  let serialize: ((data: unknown) => string) | undefined;
  return (data) => {
    // Fastify names the status of every response schema; the compiler's type merely insists on it.
    serialize ??= compileWithFastJsonStringify({ ...route, httpStatus: route.httpStatus ?? 'default' });
    return serialize(data);
  };
};
