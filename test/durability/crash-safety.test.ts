import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { StrongroomProcess } from '../support/strongroom-process.js';
import {
  createLocalProvider,
  createStore,
  resolveLocalEntry,
  resolveStorePassword,
  startStrongroom,
  verifiedAuditChain,
} from '../support/strongroom-process.js';
import { createTestDatabase, testDialects } from '../support/test-server.js';

const clientCount = 32;
const updatesPerEntry = 2;

/**
 * What one object (a local entry or a store password) must hold after the crash: the last value the server
 * acknowledged, or the value of a write that was under way when the server died (it may or may not have
 * committed; either is correct as long as it was not acknowledged).
 */
interface Expectation {
  acknowledged: string | undefined;
  inFlight: string | undefined;
}

interface Tally {
  acknowledgedWrites: number;
  unexpected: string[];
  onAcknowledged(): void;
}

type Write = () => Promise<number | undefined>;

/**
 * Runs writes one after another until one gets no answer (the server died under it) or the test says stop.
 * A refusal with a status is a bug, not a crash, and is reported.
 */
async function writeUntilCrash(
  next: () => { expectation: Expectation; value: string; write: Write } | undefined,
  tally: Tally,
): Promise<void> {
  for (;;) {
    const step = next();
    if (step === undefined) return;
    step.expectation.inFlight = step.value;
    const status = await step.write();
    if (status === undefined) return;
    if (status !== 200 && status !== 204) {
      tally.unexpected.push(`a write of ${step.value} answered ${status}`);
      return;
    }
    step.expectation.acknowledged = step.value;
    step.expectation.inFlight = undefined;
    tally.acknowledgedWrites += 1;
    tally.onAcknowledged();
  }
}

function checkValue(label: string, actual: string | null | undefined, expectation: Expectation): void {
  const allowed = [expectation.acknowledged, expectation.inFlight];
  if (expectation.acknowledged === undefined && expectation.inFlight !== undefined) allowed.push(undefined);
  assert.ok(
    allowed.includes(actual ?? undefined),
    `${label} holds ${String(actual)}; acknowledged ${String(expectation.acknowledged)}, in flight ${String(expectation.inFlight)}`,
  );
}

for (const dialect of testDialects()) {
  test(`every acknowledged write survives a SIGKILL at a random moment while ${clientCount} clients write [${dialect}]`, async (t) => {
    const database = await createTestDatabase(dialect);
    const logFile = join(database.dataDir, 'server.log');
    const start = () => startStrongroom({ database, databaseUrl: database.databaseUrl, logFile });
    let server: StrongroomProcess = await start();
    try {
      const providerId = await createLocalProvider(server, 'crash-safety');
      const storeClientCount = clientCount / 2;
      const storeIds = await Promise.all(
        Array.from({ length: storeClientCount }, (_, index) => createStore(server, `crash-host-${index}`)),
      );
      const readerStoreId = await createStore(server, 'crash-reader');

      const entries = new Map<string, Expectation>();
      const passwords = new Map<string, Expectation>(
        storeIds.map((id) => [id, { acknowledged: undefined, inFlight: undefined }]),
      );
      // The kill comes after a random number of acknowledged writes plus a random few milliseconds, so it
      // lands at a random point of some request while the others are in flight, however busy the machine is.
      const killAtWrite = clientCount * 2 + Math.floor(Math.random() * clientCount * 6);
      const killDelayMs = Math.floor(Math.random() * 20);
      t.diagnostic(`SIGKILL ${killDelayMs} ms after acknowledged write number ${killAtWrite}`);
      let reachedKillPoint: () => void = () => undefined;
      const killPoint = new Promise<void>((resolvePoint) => {
        reachedKillPoint = resolvePoint;
      });
      const tally: Tally = {
        acknowledgedWrites: 0,
        unexpected: [],
        onAcknowledged() {
          if (this.acknowledgedWrites >= killAtWrite) reachedKillPoint();
        },
      };
      let stopped = false;
      const running = server;
      const entryPath = `/KeyfactorAPI/PamProviders/Local/${providerId}/Entries`;

      // Half the clients create local entries and update each twice; the other half change store passwords.
      const entryClients = Array.from({ length: clientCount - storeClientCount }, (_, client) => {
        let writes = 0;
        return writeUntilCrash(() => {
          if (stopped) return undefined;
          const entry = Math.floor(writes / (updatesPerEntry + 1));
          const revision = writes % (updatesPerEntry + 1);
          writes += 1;
          const secretName = `c${client}-e${entry}`;
          const value = `${secretName}-value-${revision}`;
          if (revision === 0) entries.set(secretName, { acknowledged: undefined, inFlight: undefined });
          const expectation = entries.get(secretName);
          if (expectation === undefined) throw new Error(`no expectation for ${secretName}`);
          const body = { SecretName: secretName, SecretValue: value };
          return {
            expectation,
            value,
            write: async () =>
              (await running.request(revision === 0 ? 'POST' : 'PUT', entryPath, { body })).status,
          };
        }, tally);
      });
      const storeClients = storeIds.map((storeId) => {
        let writes = 0;
        const expectation = passwords.get(storeId);
        if (expectation === undefined) throw new Error(`no expectation for ${storeId}`);
        return writeUntilCrash(() => {
          if (stopped) return undefined;
          writes += 1;
          const value = `${storeId}-password-${writes}`;
          return {
            expectation,
            value,
            write: async () =>
              (
                await running.request('PUT', '/KeyfactorAPI/CertificateStores/Password', {
                  body: { CertStoreId: storeId, NewPassword: { SecretValue: value } },
                })
              ).status,
          };
        }, tally);
      });

      // A client that stops on a refused write would leave the kill point unreached; the test then fails on
      // the refusals rather than waiting forever.
      await Promise.race([killPoint, Promise.all([...entryClients, ...storeClients])]);
      await new Promise((resolveWait) => setTimeout(resolveWait, killDelayMs));
      await server.kill('SIGKILL');
      stopped = true;
      await Promise.all([...entryClients, ...storeClients]);
      t.diagnostic(`${tally.acknowledgedWrites} writes were acknowledged before the kill`);
      assert.deepEqual(tally.unexpected, []);
      // Enough happened for the checks below to mean something.
      assert.ok(
        tally.acknowledgedWrites >= clientCount,
        `only ${tally.acknowledgedWrites} writes were acknowledged`,
      );

      server = await start();
      for (const [secretName, expectation] of entries) {
        checkValue(
          `entry ${secretName}`,
          await resolveLocalEntry(server, readerStoreId, providerId, secretName),
          expectation,
        );
      }
      for (const [storeId, expectation] of passwords) {
        checkValue(`store ${storeId}`, await resolveStorePassword(server, storeId), expectation);
      }

      const audit = await verifiedAuditChain(server);
      assert.equal(audit.Intact, true, JSON.stringify(audit.Findings));
      assert.equal(audit.MacsChecked, true);
      assert.equal(audit.FindingCount, 0);
      assert.equal(audit.PendingEntries, 0);
      // Each acknowledged write committed its audit entry in its own transaction.
      assert.ok(audit.EntriesChecked >= tally.acknowledgedWrites, `${audit.EntriesChecked} audit entries`);
    } catch (error) {
      t.diagnostic(server.logTail());
      throw error;
    } finally {
      await server.kill('SIGKILL');
      await database.drop();
    }
  });
}
