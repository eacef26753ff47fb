import { spawnSync } from 'node:child_process';
import { X509Certificate, createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';

class DevCertError extends Error {
  override name = 'DevCertError';
}

const validityDays = 30;
const hostNamePattern = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/;
const out = (line: string) => process.stdout.write(`${line}\n`);

/**
 * Writes a self-signed certificate and its key for trying HTTPS out, valid for localhost, 127.0.0.1 and ::1
 * plus any names given.
 *
 * Node can make the key but has no X.509 builder (node:crypto only parses certificates). Of the two ways
 * to build one, the `openssl` binary is chosen over an npm package: it is installed wherever Node's own
 * TLS is, so it costs no dependency, and a command only used to try Strongroom out does not justify adding
 * a certificate library (node-forge and friends are large, and a production deployment never needs one).
 * Where openssl is missing the command says so and suggests using a certificate from a real CA.
 */
export function writeDevCertificate(
  outputDir: string,
  extraHosts: readonly string[],
): { certFile: string; keyFile: string } {
  for (const host of extraHosts) {
    if (isIP(host) === 0 && !hostNamePattern.test(host)) {
      throw new DevCertError(`--host '${host}' is neither an IP address nor a DNS name`);
    }
  }
  const directory = resolve(outputDir);
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  const certFile = join(directory, 'cert.pem');
  const keyFile = join(directory, 'key.pem');
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' });
  try {
    // 'wx' refuses to replace a key that may already be in use somewhere.
    writeFileSync(keyFile, keyPem, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as { code?: unknown }).code === 'EEXIST') {
      throw new DevCertError(`${keyFile} already exists; choose another --output or remove it first`);
    }
    throw error;
  }
  const names = ['DNS:localhost', 'IP:127.0.0.1', 'IP:::1'];
  for (const host of extraHosts) names.push(isIP(host) === 0 ? `DNS:${host}` : `IP:${host}`);
  const openssl = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-new',
      '-sha256',
      '-key',
      keyFile,
      '-out',
      certFile,
      '-days',
      String(validityDays),
      '-subj',
      '/CN=Strongroom development certificate',
      '-addext',
      `subjectAltName=${names.join(',')}`,
      '-addext',
      'basicConstraints=critical,CA:FALSE',
      '-addext',
      'keyUsage=critical,digitalSignature',
      '-addext',
      'extendedKeyUsage=serverAuth',
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  if (openssl.error !== undefined || openssl.status !== 0) {
    rmSync(keyFile, { force: true });
    const reason =
      (openssl.error as { code?: unknown } | undefined)?.code === 'ENOENT'
        ? 'the openssl command is not installed'
        : `openssl failed: ${openssl.stderr.trim() || String(openssl.error)}`;
    throw new DevCertError(
      `Could not make the certificate (${reason}). Install openssl, or use a certificate from your own CA.`,
    );
  }
  const certificate = new X509Certificate(readFileSync(certFile));
  if (!certificate.checkPrivateKey(createPrivateKey(keyPem))) {
    throw new DevCertError(`The certificate openssl wrote to ${certFile} does not match ${keyFile}`);
  }
  return { certFile, keyFile };
}

export function registerDevCertCommand(program: Command): void {
  program
    .command('dev-cert')
    .description(
      `write a self-signed certificate (cert.pem) and key (key.pem, mode 0600) for trying HTTPS out, valid ${validityDays} days; not for production`,
    )
    .requiredOption('--output <dir>', 'directory to write cert.pem and key.pem to (created if missing)')
    .option('--host <names...>', 'further DNS names or IP addresses the certificate is valid for')
    .action((options: { output: string; host?: string[] }) => {
      try {
        const { certFile, keyFile } = writeDevCertificate(options.output, options.host ?? []);
        out(`Wrote ${certFile} and ${keyFile}. Serve HTTPS with:`);
        out(`  STRONGROOM_TLS_CERT_FILE=${certFile}`);
        out(`  STRONGROOM_TLS_KEY_FILE=${keyFile}`);
        out('Clients must trust cert.pem (for curl: --cacert cert.pem); it is self-signed.');
      } catch (error) {
        if (!(error instanceof DevCertError)) throw error;
        process.stderr.write(`${error.message}\n`);
        process.exitCode = 2;
      }
    });
}
