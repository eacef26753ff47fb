import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyReply } from 'fastify';
import Type from 'typebox';
import type { RouteRegistrar } from '../../http/app.js';
import { publicAccess } from '../../http/route-access.js';
import { AppError } from '../../errors/app-error.js';

/**
 * Where `npm run build` puts the portal: beside the bundled server (dist/portal) when running from the
 * bundle, and in the project's dist/ when running from source.
 */
const bundleLocations = [
  new URL('./portal/', import.meta.url),
  new URL('../../../dist/portal/', import.meta.url),
];

const contentTypes: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.html': 'text/html; charset=utf-8',
};

/**
 * What a security review expects of a page that manages secrets: only its own scripts and styles run, no
 * other site frames it, reads its responses or learns which page sent a request, and the browser never
 * second-guesses a content type.
 */
const securityHeaders: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
};

interface PortalFile {
  body: Buffer;
  contentType: string;
}

interface PortalBundle {
  index: Buffer;
  assets: ReadonlyMap<string, PortalFile>;
}

/** Read once at start: the bundle is a few hundred kilobytes and never changes while the server runs. */
function loadBundle(): PortalBundle | undefined {
  const directory = bundleLocations
    .map((url) => fileURLToPath(url))
    .find((path) => existsSync(join(path, 'index.html')));
  if (directory === undefined) return undefined;
  const assetDirectory = join(directory, 'assets');
  const assets = new Map<string, PortalFile>();
  for (const name of existsSync(assetDirectory) ? readdirSync(assetDirectory) : []) {
    const contentType = contentTypes[extname(name)];
    if (contentType !== undefined)
      assets.set(name, { body: readFileSync(join(assetDirectory, name)), contentType });
  }
  return { index: readFileSync(join(directory, 'index.html')), assets };
}

function withSecurityHeaders(reply: FastifyReply): FastifyReply {
  return reply.headers(securityHeaders);
}

const notBuilt = () =>
  new AppError('not_found', 'The portal has not been built; run `npm run build` (npm start does it)');

/** The management portal: static files only; everything it shows comes from the public API. */
export function createPortalModule(): RouteRegistrar {
  const bundle = loadBundle();
  return (app) => {
    const schema = { hide: true };
    app.get('/', { schema, config: { access: publicAccess } }, async (_request, reply) =>
      withSecurityHeaders(reply).redirect('/portal/', 302),
    );

    app.get('/portal/', { schema, config: { access: publicAccess } }, async (_request, reply) => {
      if (bundle === undefined) throw notBuilt();
      // The page names the hashed files of the current build, so it is checked again on every visit.
      return withSecurityHeaders(reply)
        .header('Cache-Control', 'no-cache')
        .type('text/html; charset=utf-8')
        .send(bundle.index);
    });

    app.get(
      '/portal/assets/:file',
      {
        schema: { hide: true, params: Type.Object({ file: Type.String({ maxLength: 200 }) }) },
        config: { access: publicAccess },
      },
      async (request, reply) => {
        const file = bundle?.assets.get(request.params.file);
        if (file === undefined) throw new AppError('not_found', 'No such portal file');
        // Asset names carry a hash of their content, so a name never stands for two different files.
        return withSecurityHeaders(reply)
          .header('Cache-Control', 'public, max-age=31536000, immutable')
          .type(file.contentType)
          .send(file.body);
      },
    );
  };
}
