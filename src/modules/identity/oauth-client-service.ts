import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { AppError, conflictError, notFoundError } from '../../errors/app-error.js';
import type { Storage } from '../../storage/storage.js';
import type { AuditWriter } from '../audit/audit-writer.js';
import type { Actor } from '../security/actor.js';
import type { OAuthClientRecord } from './oauth-client-repository.js';
import {
  deleteOAuthClient,
  findOAuthClient,
  insertOAuthClient,
  listOAuthClients,
  updateOAuthClient,
} from './oauth-client-repository.js';

export interface OAuthClientView {
  clientId: string;
  description: string;
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface OAuthClientService {
  list(): Promise<OAuthClientView[]>;
  get(clientId: string): Promise<OAuthClientView>;
  /** Creates the client and returns its secret, which is shown this once and kept only as a hash. */
  create(
    actor: Actor,
    input: { clientId: string; description: string },
  ): Promise<OAuthClientView & { clientSecret: string }>;
  update(
    actor: Actor,
    clientId: string,
    changes: { description?: string | undefined; enabled?: boolean | undefined },
  ): Promise<OAuthClientView>;
  rotateSecret(actor: Actor, clientId: string): Promise<OAuthClientView & { clientSecret: string }>;
  remove(actor: Actor, clientId: string): Promise<void>;
  /**
   * The enabled client these credentials belong to, or undefined. An unknown client costs the same hash and
   * comparison as a known one, so neither the answer nor its time tells whether a client id exists.
   */
  authenticate(clientId: string, clientSecret: string): Promise<OAuthClientRecord | undefined>;
}

const clientIdPattern = /^[A-Za-z0-9._~-]{1,128}$/;
const secretHashPrefix = 'hmac-sha256:';

const toView = (record: OAuthClientRecord): OAuthClientView => ({
  clientId: record.clientId,
  description: record.description,
  enabled: record.enabled,
  createdAt: record.createdAt,
  updatedAt: record.updatedAt,
});

/**
 * OAuth clients of the built-in issuer. Secrets are 256 random bits, so a keyed hash (HMAC under a subkey of
 * the master key) protects them as well as a slow password hash would, at a cost a token endpoint can carry.
 */
export function createOAuthClientService(options: {
  storage: Storage;
  audit: AuditWriter;
  now: () => Date;
  secretHashKey: Buffer;
}): OAuthClientService {
  const { storage, audit, now, secretHashKey } = options;
  const decoyHash = hashSecret(randomBytes(32).toString('base64url'));

  function hashSecret(secret: string): string {
    return secretHashPrefix + createHmac('sha256', secretHashKey).update(secret, 'utf8').digest('base64');
  }

  const newSecret = () => `srs_${randomBytes(32).toString('base64url')}`;

  async function existing(clientId: string): Promise<OAuthClientRecord> {
    const record = await findOAuthClient(storage.db, clientId);
    if (record === undefined) throw notFoundError(`OAuth client '${clientId}' was not found`);
    return record;
  }

  return {
    async list() {
      return (await listOAuthClients(storage.db)).map(toView);
    },

    async get(clientId) {
      return toView(await existing(clientId));
    },

    async create(actor, input) {
      if (!clientIdPattern.test(input.clientId)) {
        throw new AppError(
          'validation',
          "'ClientId' must be 1 to 128 letters, digits or the characters . _ ~ -",
        );
      }
      const clientSecret = newSecret();
      const timestamp = now().toISOString();
      await storage.transaction(async (tx) => {
        if ((await findOAuthClient(tx, input.clientId)) !== undefined) {
          throw conflictError(`An OAuth client with ClientId '${input.clientId}' already exists`);
        }
        await insertOAuthClient(tx, {
          clientId: input.clientId,
          description: input.description,
          secretHash: hashSecret(clientSecret),
          now: timestamp,
        });
        await audit.record(tx, {
          actor: actor.username,
          category: 'OAuthClient',
          operation: 'Created',
          entityType: 'OAuthClient',
          auditIdentifier: input.clientId,
          immutableIdentifier: input.clientId,
          details: { Description: input.description },
        });
      });
      return { ...toView(await existing(input.clientId)), clientSecret };
    },

    async update(actor, clientId, changes) {
      await storage.transaction(async (tx) => {
        const record = await findOAuthClient(tx, clientId);
        if (record === undefined) throw notFoundError(`OAuth client '${clientId}' was not found`);
        await updateOAuthClient(tx, record.id, { ...changes, now: now().toISOString() });
        await audit.record(tx, {
          actor: actor.username,
          category: 'OAuthClient',
          operation: 'Updated',
          entityType: 'OAuthClient',
          auditIdentifier: record.clientId,
          immutableIdentifier: record.clientId,
          details: {
            ...(changes.description === undefined ? {} : { Description: changes.description }),
            ...(changes.enabled === undefined ? {} : { Enabled: changes.enabled }),
          },
        });
      });
      return toView(await existing(clientId));
    },

    async rotateSecret(actor, clientId) {
      const clientSecret = newSecret();
      await storage.transaction(async (tx) => {
        const record = await findOAuthClient(tx, clientId);
        if (record === undefined) throw notFoundError(`OAuth client '${clientId}' was not found`);
        await updateOAuthClient(tx, record.id, {
          secretHash: hashSecret(clientSecret),
          now: now().toISOString(),
        });
        await audit.record(tx, {
          actor: actor.username,
          category: 'OAuthClient',
          operation: 'Updated',
          entityType: 'OAuthClient',
          auditIdentifier: record.clientId,
          immutableIdentifier: record.clientId,
          details: { ClientSecret: 'rotated' },
        });
      });
      return { ...toView(await existing(clientId)), clientSecret };
    },

    async remove(actor, clientId) {
      await storage.transaction(async (tx) => {
        const record = await findOAuthClient(tx, clientId);
        if (record === undefined) throw notFoundError(`OAuth client '${clientId}' was not found`);
        await deleteOAuthClient(tx, record.id);
        await audit.record(tx, {
          actor: actor.username,
          category: 'OAuthClient',
          operation: 'Deleted',
          entityType: 'OAuthClient',
          auditIdentifier: record.clientId,
          immutableIdentifier: record.clientId,
        });
      });
    },

    async authenticate(clientId, clientSecret) {
      // Looked up whatever its form, so an id that could never exist costs the same as one that does not.
      const record = await findOAuthClient(storage.db, clientId);
      const expected = Buffer.from(record?.secretHash ?? decoyHash);
      const presented = Buffer.from(hashSecret(clientSecret));
      const matches = expected.length === presented.length && timingSafeEqual(expected, presented);
      return record !== undefined && matches && record.enabled ? record : undefined;
    },
  };
}
