import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RecordedAuditFields } from './audit-chain.js';
import { auditCsvHeader, auditCsvLine, auditSummary, auditXmlMessage } from './audit-entry-format.js';

const entry: RecordedAuditFields = {
  id: 12,
  timestamp: '2025-01-01T00:00:00.000Z',
  category: 2103,
  operation: 2,
  level: 0,
  userName: 'alice',
  entityType: 'LocalPamEntry',
  auditIdentifier: 'db-password',
  immutableIdentifier: '4',
  outcome: 'Success',
  message: JSON.stringify({ providerId: 4, valueChanged: true, tags: ['a<b', 'c&d'] }),
};

test('the summary uses Keyfactor wording with the names of the operation and category', () => {
  assert.equal(auditSummary(entry), "The user 'alice' Updated Local PAM Entry, 'db-password'");
  assert.equal(
    auditSummary({ ...entry, outcome: 'Failure', category: 9999 }),
    "The user 'alice' Updated 9999, 'db-password' (Failure)",
  );
});

test('the XML message carries the outcome and details, escaped', () => {
  assert.equal(
    auditXmlMessage(entry),
    '<AuditEntry><Outcome>Success</Outcome><Details><providerId>4</providerId>' +
      '<valueChanged>true</valueChanged><tags><Item>a&lt;b</Item><Item>c&amp;d</Item></tags></Details></AuditEntry>',
  );
});

test('the XML message survives detail that is not JSON, odd keys and control characters', () => {
  assert.equal(
    auditXmlMessage({ outcome: 'Success', message: 'plain <text>\u0001' }),
    '<AuditEntry><Outcome>Success</Outcome><Details>plain &lt;text&gt;\uFFFD</Details></AuditEntry>',
  );
  assert.match(auditXmlMessage({ outcome: 'Success', message: '{"1 bad key":null}' }), /<_1_bad_key \/>/);
});

test('CSV lines follow the contract columns, quote what needs quoting and defuse formulas', () => {
  assert.equal(auditCsvHeader, 'Id,Timestamp,Message,Operation,Level,User,Category,Name,XMLMessage\r\n');
  const line = auditCsvLine({ ...entry, auditIdentifier: '=HYPERLINK("x")', userName: 'a,b' });
  assert.ok(line.endsWith('\r\n'));
  assert.ok(
    line.startsWith(
      '12,2025-01-01T00:00:00.000Z,"The user \'a,b\' Updated Local PAM Entry, \'=HYPERLINK(""x"")\'",Updated,Information,"a,b",Local PAM Entry,"\'=HYPERLINK(""x"")",',
    ),
  );
});
