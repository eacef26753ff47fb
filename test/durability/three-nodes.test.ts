import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ApiAnswer, RequestOptions, StrongroomProcess } from '../support/strongroom-process.js';
import {
  createLocalProvider,
  createStore,
  resolveLocalEntry,
  startStrongroom,
  verifiedAuditChain,
} from '../support/strongroom-process.js';
import { createTestDatabase, testDialects } from '../support/test-server.js';

const nodeCount = 3;
const sharedEntryCount = 4;
const workerCount = 12;
const incrementsPerWorker = 6;

interface EntryMetadata {
  Description: string | null;
  Version: number;
}

test(
  'three server processes on one PostgreSQL database behave as one: no lost update under If-Match, one audit chain, a password change refused everywhere at once',
  { skip: !testDialects().includes('postgres') && 'STRONGROOM_TEST_DATABASE_URL is not set' },
  async (t) => {
    const database = await createTestDatabase('postgres');
    const nodes: StrongroomProcess[] = [];
    try {
      // Started together on an empty database, as a deployment's replicas would be.
      nodes.push(
        ...(await Promise.all(
          Array.from({ length: nodeCount }, (_, index) =>
            startStrongroom({
              database,
              databaseUrl: database.databaseUrl,
              logFile: join(database.dataDir, `node-${index}.log`),
            }),
          ),
        )),
      );
      // A round-robin load balancer: each request goes to the next node.
      let turn = 0;
      const balanced = {
        request(method: string, path: string, options?: RequestOptions): Promise<ApiAnswer> {
          const node = nodes[turn % nodeCount];
          turn += 1;
          if (node === undefined) throw new Error('no node');
          return node.request(method, path, options);
        },
      };

      const providerId = await createLocalProvider(balanced, 'three-nodes');
      const entriesPath = `/KeyfactorAPI/PamProviders/Local/${providerId}/Entries`;
      const metadataPath = (name: string) => `/strongroom/pam-providers/${providerId}/entries/${name}`;
      const names = Array.from({ length: sharedEntryCount }, (_, index) => `shared-${index}`);
      for (const name of names) {
        const created = await balanced.request('POST', entriesPath, {
          body: { SecretName: name, SecretValue: `${name}-0`, Description: '0' },
        });
        assert.equal(created.status, 200, created.text);
      }

      // Each worker increments a counter kept in an entry's Description (and names the count in its value)
      // by reading the entry through one node and writing it through the next with If-Match. A lost update
      // would leave a counter below the number of acknowledged increments.
      const acknowledged = new Map(names.map((name) => [name, 0]));
      let conflicts = 0;
      const unexpected: string[] = [];
      await Promise.all(
        Array.from({ length: workerCount }, async (_, worker) => {
          for (let done = 0; done < incrementsPerWorker;) {
            const name = names[(worker + done) % sharedEntryCount] ?? 'shared-0';
            const read = await balanced.request('GET', metadataPath(name));
            if (read.status !== 200 || read.etag === undefined) {
              unexpected.push(`reading ${name} answered ${String(read.status)}: ${read.text}`);
              return;
            }
            const count = Number(read.json<EntryMetadata>().Description) + 1;
            const written = await balanced.request('PUT', entriesPath, {
              headers: { 'if-match': read.etag },
              body: { SecretName: name, SecretValue: `${name}-${count}`, Description: String(count) },
            });
            if (written.status === 412) {
              conflicts += 1;
              continue;
            }
            if (written.status !== 200) {
              unexpected.push(`writing ${name} answered ${String(written.status)}: ${written.text}`);
              return;
            }
            acknowledged.set(name, (acknowledged.get(name) ?? 0) + 1);
            done += 1;
          }
        }),
      );
      t.diagnostic(
        `${workerCount * incrementsPerWorker} increments acknowledged, ${conflicts} refused with 412`,
      );
      assert.deepEqual(unexpected, []);
      // Without a single 412 the workers never raced, and the check below would prove nothing.
      assert.ok(conflicts > 0, 'no write was ever refused for a stale ETag');

      const readerStoreId = await createStore(balanced, 'three-nodes-reader');
      for (const name of names) {
        const count = acknowledged.get(name) ?? 0;
        // Every node sees the same entry, counting every acknowledged increment.
        const views = await Promise.all(nodes.map((node) => node.request('GET', metadataPath(name))));
        for (const view of views) {
          assert.equal(view.status, 200, view.text);
          assert.equal(view.json<EntryMetadata>().Description, String(count), `${name} lost an update`);
          assert.equal(view.json<EntryMetadata>().Version, count + 1);
          assert.equal(view.etag, views[0]?.etag);
        }
        assert.equal(await resolveLocalEntry(balanced, readerStoreId, providerId, name), `${name}-${count}`);
      }

      // A password changed through one node is refused by the others at their next request, although each
      // had just accepted it (and remembered the verified credential).
      const health = (node: StrongroomProcess, password: string) =>
        node.request('GET', '/KeyfactorAPI/Status/HealthCheck', { as: { username: 'operator', password } });
      const created = await balanced.request('POST', '/strongroom/users', {
        body: { Username: 'operator', Password: 'operator-password-0' },
      });
      assert.equal(created.status, 200, created.text);
      for (const [index, changer] of nodes.entries()) {
        const oldPassword = `operator-password-${index}`;
        const newPassword = `operator-password-${index + 1}`;
        for (const node of nodes) assert.equal((await health(node, oldPassword)).status, 204);
        const changed = await changer.request('PUT', '/strongroom/users/operator', {
          body: { Password: newPassword },
        });
        assert.equal(changed.status, 200, changed.text);
        for (const [otherIndex, node] of nodes.entries()) {
          assert.equal(
            (await health(node, oldPassword)).status,
            401,
            `node ${otherIndex} took the old password`,
          );
          assert.equal(
            (await health(node, newPassword)).status,
            204,
            `node ${otherIndex} refused the new one`,
          );
        }
      }

      // One chain: every node verifies the same, intact chain ending at the same entry.
      const reports = [];
      for (const node of nodes) reports.push(await verifiedAuditChain(node));
      for (const report of reports) {
        assert.equal(report.Intact, true, JSON.stringify(report.Findings));
        assert.equal(report.FindingCount, 0);
        assert.equal(report.PendingEntries, 0);
        assert.ok(report.EntriesChecked >= workerCount * incrementsPerWorker);
      }
      const lastEntries = reports.map((report) =>
        JSON.stringify((report as { LastEntry?: unknown }).LastEntry),
      );
      assert.equal(new Set(lastEntries).size, 1, lastEntries.join(' '));
    } catch (error) {
      for (const node of nodes) t.diagnostic(node.logTail());
      throw error;
    } finally {
      await Promise.all(nodes.map((node) => node.kill('SIGTERM')));
      await database.drop();
    }
  },
);
