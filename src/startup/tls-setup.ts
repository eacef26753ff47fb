import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { AppConfig } from '../config/app-config.js';
import { minimumTlsVersion } from '../http/app.js';
import { StartupError } from './key-setup.js';

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
}

/**
 * Reads the PEM certificate (the leaf first, then any intermediates) and its private key, and proves they
 * make a usable pair before they are served: a key that does not match its certificate fails here, with
 * the file names, instead of at every client's handshake. The messages name files, never their content.
 */
export function readTlsMaterial(files: NonNullable<AppConfig['tls']>): TlsMaterial {
  const cert = readPem(files.certFile, 'certificate');
  const key = readPem(files.keyFile, 'private key');
  try {
    createSecureContext({ cert, key, minVersion: minimumTlsVersion });
  } catch (error) {
    const reason = (error as { code?: unknown }).code;
    throw new StartupError(
      `The TLS certificate ${files.certFile} and private key ${files.keyFile} cannot be used together` +
        (typeof reason === 'string' ? ` (${reason})` : ''),
    );
  }
  return { cert, key };
}

function readPem(path: string, what: string): Buffer {
  let content: Buffer;
  try {
    content = readFileSync(path);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const reason = typeof code === 'string' ? ` (${code})` : '';
    throw new StartupError(`The TLS ${what} file ${path} could not be read${reason}`);
  }
  if (!content.includes('-----BEGIN ')) {
    throw new StartupError(`The TLS ${what} file ${path} is not in PEM format`);
  }
  return content;
}
