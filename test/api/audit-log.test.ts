import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deriveSubkey } from '../../src/crypto/master-key.js';
import { createAuditWriter } from '../../src/modules/audit/audit-writer.js';
import { assertKeyfactorShape } from '../support/keyfactor-openapi.js';
import { describeEachDialect } from '../support/test-server.js';
import type { TestServer } from '../support/test-server.js';

interface AuditLogEntry {
  Id: number;
  Timestamp: string;
  Message: string | null;
  Signature: string | null;
  Category: number;
  Operation: number;
  Level: number;
  User: string | null;
  EntityType: string | null;
  AuditIdentifier: string | null;
  ImmutableIdentifier: string | null;
}

const contractFields = [
  'AuditIdentifier',
  'Category',
  'EntityType',
  'Id',
  'ImmutableIdentifier',
  'Level',
  'Message',
  'Operation',
  'Signature',
  'Timestamp',
  'User',
];

function query(path: string, parameters: Record<string, string | number>): string {
  const search = new URLSearchParams(
    Object.entries(parameters).map(([name, value]) => [name, String(value)]),
  ).toString();
  return `${path}?${search}`;
}

async function entries(server: TestServer, parameters: Record<string, string | number>) {
  const response = await server.request('GET', query('/KeyfactorAPI/Audit', parameters));
  assert.equal(response.status, 200, response.text);
  return response.body as AuditLogEntry[];
}

async function createUser(server: TestServer, username: string): Promise<number> {
  const response = await server.request('POST', '/strongroom/users', {
    body: { Username: username, Password: 'long-enough-password' },
  });
  assert.equal(response.status, 200, response.text);
  return (response.body as { Id: number }).Id;
}

function messageOf(response: { body: unknown }): string {
  return (response.body as { Message: string }).Message;
}

describeEachDialect('audit log API', (server) => {
  test('a change is listed with exactly the contract fields, its actor, object and a signature', async () => {
    const userId = await createUser(server(), 'audit-alice');
    const [entry, ...others] = await entries(server(), { QueryString: 'Name -eq "audit-alice"' });
    assert.equal(others.length, 0);
    assert.ok(entry);
    assertKeyfactorShape(1, 'GET', '/Audit', [entry]);
    assert.deepEqual(Object.keys(entry).sort(), contractFields);
    assert.equal(entry.Category, 2100);
    assert.equal(entry.Operation, 1);
    assert.equal(entry.Level, 0);
    assert.equal(entry.User, 'admin');
    assert.equal(entry.EntityType, 'User');
    assert.equal(entry.ImmutableIdentifier, String(userId));
    assert.match(
      entry.Message ?? '',
      /^<AuditEntry><Outcome>Success<\/Outcome><Details>.*<\/Details><\/AuditEntry>$/,
    );
    assert.ok(!Number.isNaN(Date.parse(entry.Timestamp)));

    const validated = await server().request('GET', `/KeyfactorAPI/Audit/${entry.Id}/Validate`);
    assert.equal(validated.status, 200);
    assert.equal(validated.text, 'true');
    const single = await server().request('GET', `/KeyfactorAPI/Audit/${entry.Id}`);
    assert.equal(single.status, 200);
    const chained = single.body as AuditLogEntry;
    assert.deepEqual(Object.keys(chained).sort(), contractFields);
    assert.match(chained.Signature ?? '', /^[0-9a-f]{64}$/);
  });

  test('filters on category, operation and level names and on the user, sorts, pages, and takes pq. names', async () => {
    for (const name of ['page-1', 'page-2', 'page-3']) await createUser(server(), name);
    await server().request('PUT', '/strongroom/users/page-2', { body: { Groups: ['x'] } });
    const created = await entries(server(), {
      QueryString:
        'Category -eq "user" AND Operation -eq "Created" AND Level -eq "Information" AND Name -startswith "page-"',
      SortField: 'Name',
      SortAscending: 1,
    });
    assert.deepEqual(
      created.map((entry) => entry.AuditIdentifier),
      ['page-3', 'page-2', 'page-1'],
    );
    const secondPage = await entries(server(), {
      'pq.queryString': 'Name -startswith "page-" AND User -eq admin',
      'pq.returnLimit': 2,
      'pq.pageReturned': 2,
    });
    assert.deepEqual(
      secondPage.map((entry) => [entry.AuditIdentifier, entry.Operation]),
      [
        ['page-3', 1],
        ['page-2', 2],
      ],
    );
    const today = new Date().toISOString().slice(0, 10);
    const updatedToday = await entries(server(), {
      QueryString: `Timestamp -ge ${today} AND Operation -eq Updated AND Name -eq page-2`,
    });
    assert.equal(updatedToday.length, 1);
  });

  test('a bad QueryString, an unknown field or an unknown SortField is a 400 that names the problem', async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ QueryString: 'Name -eq' }, /QueryString/],
      [{ QueryString: 'Password -eq "x"' }, /unknown field 'Password'/],
      [{ QueryString: 'Id -eq abc' }, /'Id' expects an integer/],
      [{ QueryString: 'Timestamp -gt yesterday' }, /'Timestamp' expects an ISO-8601 date/],
      [{ SortField: 'Secret' }, /SortField 'Secret'/],
      [{ ReturnLimit: '0' }, /ReturnLimit/],
    ];
    for (const [parameters, message] of cases) {
      for (const path of ['/KeyfactorAPI/Audit', '/KeyfactorAPI/Audit/RelatedEntities']) {
        const response = await server().request('GET', query(path, parameters));
        assert.equal(response.status, 400, `${path} ${JSON.stringify(parameters)}: ${response.text}`);
        assert.match(messageOf(response), message);
      }
    }
    const download = await server().request(
      'GET',
      query('/KeyfactorAPI/Audit/Download', { QueryString: 'Nope -eq 1' }),
    );
    assert.equal(download.status, 400);
    assert.match(messageOf(download), /unknown field 'Nope'/);
  });

  test('a non-numeric or out-of-range id is a 400 and an unknown id a 404, for the entry and its validation', async () => {
    for (const suffix of ['', '/Validate']) {
      const word = await server().request('GET', `/KeyfactorAPI/Audit/abc${suffix}`);
      assert.equal(word.status, 400, word.text);
      assert.match(messageOf(word), /'id' must be of type integer/);
      const huge = await server().request('GET', `/KeyfactorAPI/Audit/99999999999${suffix}`);
      assert.equal(huge.status, 400);
      const negative = await server().request('GET', `/KeyfactorAPI/Audit/-1${suffix}`);
      assert.equal(negative.status, 400);
      const unknown = await server().request('GET', `/KeyfactorAPI/Audit/987654${suffix}`);
      assert.equal(unknown.status, 404);
      assert.equal(messageOf(unknown), "Audit log entry '987654' was not found");
    }
  });

  test('RelatedEntities returns the whole history of the objects the filter matches, and nothing else', async () => {
    const bobId = await createUser(server(), 'related-bob');
    await createUser(server(), 'related-other');
    await server().request('PUT', '/strongroom/users/related-bob', { body: { Groups: ['ops'] } });
    assert.equal((await server().request('DELETE', '/strongroom/users/related-bob')).status, 204);
    const response = await server().request(
      'GET',
      query('/KeyfactorAPI/Audit/RelatedEntities', {
        QueryString: 'Operation -eq "Deleted" AND Name -eq "related-bob"',
        SortField: 'Id',
      }),
    );
    assert.equal(response.status, 200, response.text);
    const related = response.body as AuditLogEntry[];
    assertKeyfactorShape(1, 'GET', '/Audit/RelatedEntities', related);
    assert.deepEqual(
      related.map((entry) => [entry.Operation, entry.ImmutableIdentifier]),
      [
        [1, String(bobId)],
        [2, String(bobId)],
        [3, String(bobId)],
      ],
    );
  });

  test('Download streams every matching entry as CSV with the contract columns, across batches', async () => {
    // More entries than one database batch, so the keyset continuation between batches is exercised.
    const writer = createAuditWriter({
      macKey: deriveSubkey(server().database.masterKey, 'audit-mac'),
      now: () => new Date('2025-06-01T00:00:00.000Z'),
    });
    await server().server.storage.transaction(async (tx) => {
      for (let index = 0; index < 1100; index += 1) {
        await writer.record(tx, {
          actor: 'bulk-writer',
          category: 'LocalPamEntry',
          operation: 'Updated',
          entityType: 'LocalPamEntry',
          auditIdentifier: `bulk-${index % 7}`,
          immutableIdentifier: String(index),
        });
      }
    });
    const response = await server().request(
      'GET',
      query('/KeyfactorAPI/Audit/Download', {
        QueryString: 'User -eq "bulk-writer"',
        SortField: 'Name',
        SortAscending: 1,
      }),
    );
    assert.equal(response.status, 200);
    assert.match(String(response.headers['content-type']), /^text\/csv/);
    const lines = response.text.split('\r\n');
    assert.equal(lines[0], 'Id,Timestamp,Message,Operation,Level,User,Category,Name,XMLMessage');
    assert.equal(lines.at(-1), '');
    const rows = lines.slice(1, -1);
    assert.equal(rows.length, 1100);
    const names = rows.map((row) => row.split(',')[8] ?? '');
    const ids = rows.map((row) => Number(row.split(',')[0]));
    assert.equal(new Set(ids).size, 1100);
    assert.deepEqual(names, [...names].sort().reverse());
    assert.match(
      rows[0] ?? '',
      /,"The user 'bulk-writer' Updated Local PAM Entry, 'bulk-6'",Updated,Information,bulk-writer,Local PAM Entry,bulk-6,/,
    );

    const downloads = await entries(server(), {
      QueryString: 'Category -eq "Audit Log" AND Operation -eq Downloaded',
    });
    assert.ok(downloads.some((entry) => entry.User === 'admin'));
  });

  test('reading the audit log needs /auditing/read/: 401 without credentials, 403 without the permission', async () => {
    const reader = await server().createUser('audit-reader', ['/auditing/read/']);
    const outsider = await server().createUser('audit-outsider', ['/security/read/']);
    const paths = [
      '/KeyfactorAPI/Audit',
      '/KeyfactorAPI/Audit/1',
      '/KeyfactorAPI/Audit/1/Validate',
      '/KeyfactorAPI/Audit/Download',
      '/KeyfactorAPI/Audit/RelatedEntities',
      '/strongroom/audit/verify',
    ];
    for (const path of paths) {
      assert.equal((await server().request('GET', path, { as: null })).status, 401, path);
      assert.equal((await server().request('GET', path, { as: outsider })).status, 403, path);
      assert.equal((await server().request('GET', path, { as: reader })).status, 200, path);
    }
  });

  test('the full check reports an intact chain that ends at the newest entry', async () => {
    await createUser(server(), 'verify-carol');
    const response = await server().request('GET', '/strongroom/audit/verify');
    assert.equal(response.status, 200, response.text);
    const report = response.body as {
      Intact: boolean;
      MacsChecked: boolean;
      EntriesChecked: number;
      PendingEntries: number;
      LastEntry: { Id: number; Sequence: number } | null;
      Findings: unknown[];
    };
    assert.equal(report.Intact, true, JSON.stringify(report.Findings));
    assert.equal(report.MacsChecked, true);
    assert.equal(report.PendingEntries, 0);
    const [newest] = await entries(server(), { SortField: 'Id', SortAscending: 1, ReturnLimit: 1 });
    assert.equal(report.LastEntry?.Sequence, report.EntriesChecked);
    assert.ok(newest !== undefined && report.LastEntry !== null && report.LastEntry.Id <= newest.Id);
  });
});
