import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK } from 'jose';
import type { JWK } from 'jose';
import type { SecretCipher } from '../../crypto/secret-cipher.js';
import type { Storage } from '../../storage/storage.js';
import type { AuditWriter } from '../audit/audit-writer.js';
import type { Actor } from '../security/actor.js';
import {
  findActiveSigningKey,
  insertSigningKey,
  listPublishedSigningKeys,
  retireActiveSigningKeys,
} from './signing-key-repository.js';
import type { SigningKeyRecord } from './signing-key-repository.js';

/** ES256: small signatures, fast to verify, and accepted by every JOSE library kfutil-style clients use. */
export const signingAlgorithm = 'ES256';
/** Allowance for clocks that disagree, also applied when a retired key stops being published. */
export const clockSkewSeconds = 60;

type SigningKeyObject = Awaited<ReturnType<typeof importJWK>>;

export interface SigningKeyService {
  /** The key to sign with now, created on first use. */
  activeKey(): Promise<{ kid: string; privateKey: SigningKeyObject }>;
  /** Public keys whose tokens may still be valid, as a JWK Set. */
  publishedKeys(): Promise<{ keys: JWK[] }>;
  /** The public key with this id, while it is published; read from the database when not known yet. */
  verificationKey(kid: string): Promise<SigningKeyObject | undefined>;
  rotate(actor: Actor): Promise<{ kid: string; retired: string[] }>;
}

const sealedLocation = (kid: string) => ({
  table: 'oauth_signing_keys',
  rowId: kid,
  column: 'private_jwk_sealed',
});

/**
 * The built-in issuer's signing keys. The private half is sealed under the master key with the row it
 * belongs to, and opened only here. Rotation retires the active key instead of deleting it: its public half
 * stays published, and verifies, until every token it signed has expired.
 */
export function createSigningKeyService(options: {
  storage: Storage;
  cipher: SecretCipher;
  audit: AuditWriter;
  now: () => Date;
  tokenTtlSeconds: number;
}): SigningKeyService {
  const { storage, cipher, audit, now, tokenTtlSeconds } = options;
  const privateKeys = new Map<string, SigningKeyObject>();
  const publicKeys = new Map<string, { key: SigningKeyObject; publishedUntil: number }>();

  async function newKey(): Promise<SigningKeyRecord> {
    const pair = await generateKeyPair(signingAlgorithm, { extractable: true });
    const kid = randomBytes(16).toString('base64url');
    const publicJwk = { ...(await exportJWK(pair.publicKey)), kid, alg: signingAlgorithm, use: 'sig' };
    const privateJwk = JSON.stringify(await exportJWK(pair.privateKey));
    return {
      kid,
      algorithm: signingAlgorithm,
      publicJwk: JSON.stringify(publicJwk),
      privateJwkSealed: cipher.seal(privateJwk, sealedLocation(kid)),
      createdAt: now().toISOString(),
      retiredAt: null,
    };
  }

  async function openPrivateKey(record: SigningKeyRecord): Promise<SigningKeyObject> {
    let key = privateKeys.get(record.kid);
    if (key === undefined) {
      const jwk = JSON.parse(cipher.open(record.privateJwkSealed, sealedLocation(record.kid))) as JWK;
      key = await importJWK(jwk, record.algorithm);
      privateKeys.set(record.kid, key);
    }
    return key;
  }

  const retiredAfter = () => new Date(now().getTime() - (tokenTtlSeconds + clockSkewSeconds) * 1000);

  return {
    async activeKey() {
      let record = await findActiveSigningKey(storage.db);
      if (record === undefined) {
        // Generated outside the transaction; if two nodes race, both keys are valid and the newer one wins.
        const created = await newKey();
        await storage.transaction(async (tx) => {
          await insertSigningKey(tx, created);
          await audit.record(tx, {
            actor: 'Strongroom',
            category: 'OAuthSigningKey',
            operation: 'Created',
            entityType: 'OAuthSigningKey',
            auditIdentifier: created.kid,
            immutableIdentifier: created.kid,
            details: { Algorithm: created.algorithm, Reason: 'first token issued' },
          });
        });
        record = created;
      }
      return { kid: record.kid, privateKey: await openPrivateKey(record) };
    },

    async publishedKeys() {
      const records = await listPublishedSigningKeys(storage.db, retiredAfter().toISOString());
      return { keys: records.map((record) => JSON.parse(record.publicJwk) as JWK) };
    },

    async verificationKey(kid) {
      const known = publicKeys.get(kid);
      if (known !== undefined && known.publishedUntil > now().getTime()) return known.key;
      const records = await listPublishedSigningKeys(storage.db, retiredAfter().toISOString());
      const record = records.find((candidate) => candidate.kid === kid);
      if (record === undefined) {
        publicKeys.delete(kid);
        return undefined;
      }
      const key = await importJWK(JSON.parse(record.publicJwk) as JWK, record.algorithm);
      const publishedUntil =
        record.retiredAt === null
          ? now().getTime() + 60_000
          : Date.parse(record.retiredAt) + (tokenTtlSeconds + clockSkewSeconds) * 1000;
      publicKeys.set(kid, { key, publishedUntil });
      return key;
    },

    async rotate(actor) {
      const created = await newKey();
      const retired = await storage.transaction(async (tx) => {
        const retiredKids = await retireActiveSigningKeys(tx, created.createdAt);
        await insertSigningKey(tx, created);
        await audit.record(tx, {
          actor: actor.username,
          category: 'OAuthSigningKey',
          operation: 'Created',
          entityType: 'OAuthSigningKey',
          auditIdentifier: created.kid,
          immutableIdentifier: created.kid,
          details: { Algorithm: created.algorithm, Retired: retiredKids },
        });
        return retiredKids;
      });
      // Another node learns of the rotation when it next reads the active key; this one forgets at once.
      for (const kid of retired) publicKeys.delete(kid);
      return { kid: created.kid, retired };
    },
  };
}
