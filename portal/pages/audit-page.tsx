import { useState } from 'preact/hooks';
import { call, download } from '../api/api-client.js';
import type { AuditEntry, ChainReport } from '../api/api-types.js';
import {
  ErrorMessage,
  Field,
  formatTime,
  Loading,
  PageTitle,
  Pager,
  Section,
  SelectField,
  useAction,
  useLoad,
} from '../components/ui.js';

const pageSize = 50;

/** The API returns codes; these are the names it filters on (docs/audit.md). Unknown codes show as numbers. */
const categoryNames: Readonly<Record<number, string>> = {
  2011: 'Security Role',
  2012: 'Authorization Failure',
  2100: 'User',
  2101: 'PAM Provider Type',
  2102: 'PAM Provider',
  2103: 'Local PAM Entry',
  2104: 'Certificate Store Type',
  2105: 'Certificate Store Container',
  2106: 'Certificate Store',
  2107: 'Certificate Store Password',
  2108: 'Secret Resolution',
  2109: 'Audit Log',
  2140: 'Portal Session',
};
const operationNames: Readonly<Record<number, string>> = {
  1: 'Created',
  2: 'Updated',
  3: 'Deleted',
  4: 'Approved',
  7: 'Downloaded',
  12: 'Recovered',
  18: 'Scheduled',
  23: 'Failed',
};
const levelNames: Readonly<Record<number, string>> = { 0: 'Information', 1: 'Warning', 2: 'Failure' };

const nameOf = (names: Readonly<Record<number, string>>, code: number) => names[code] ?? String(code);
const sortFields = [
  'Id',
  'Timestamp',
  'Category',
  'Operation',
  'Level',
  'User',
  'EntityType',
  'AuditIdentifier',
];

interface Listing {
  query: string;
  sortField: string;
  /** Keyfactor's SortAscending: 0 ascending, 1 descending. */
  sortOrder: '0' | '1';
}

export function AuditPage() {
  const [listing, setListing] = useState<Listing>({ query: '', sortField: 'Id', sortOrder: '1' });
  const [page, setPage] = useState(1);
  const entries = useLoad(
    async () =>
      (
        await call<AuditEntry[]>('listAudit', {
          query: {
            QueryString: listing.query,
            SortField: listing.sortField,
            SortAscending: listing.sortOrder,
            PageReturned: page,
            ReturnLimit: pageSize,
          },
        })
      ).data,
    [listing, page],
  );
  const [openId, setOpenId] = useState<number | undefined>(undefined);
  return (
    <>
      <PageTitle>Audit log</PageTitle>
      <ListingForm
        listing={listing}
        onChange={(next) => {
          setListing(next);
          setPage(1);
        }}
      />
      <ChainCheck />
      {entries.isLoading ? <Loading what="audit entries" /> : null}
      <ErrorMessage error={entries.error} />
      {entries.data === undefined ? null : (
        <table>
          <caption>Audit entries</caption>
          <thead>
            <tr>
              <th scope="col">Id</th>
              <th scope="col">Time</th>
              <th scope="col">User</th>
              <th scope="col">Category</th>
              <th scope="col">Operation</th>
              <th scope="col">Name</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {entries.data.map((entry) => (
              <tr key={entry.Id}>
                <td>{entry.Id}</td>
                <td>{formatTime(entry.Timestamp)}</td>
                <td>{entry.User}</td>
                <td>{nameOf(categoryNames, entry.Category)}</td>
                <td>{nameOf(operationNames, entry.Operation)}</td>
                <td>{entry.AuditIdentifier}</td>
                <td>
                  <button
                    type="button"
                    aria-expanded={openId === entry.Id}
                    onClick={() => setOpenId(openId === entry.Id ? undefined : entry.Id)}
                  >
                    {openId === entry.Id ? 'Close' : 'Open'} entry {entry.Id}
                  </button>
                  {openId === entry.Id ? <EntryDetail id={entry.Id} /> : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager page={page} pageSize={pageSize} count={entries.data?.length ?? 0} onPage={setPage} />
    </>
  );
}

function ListingForm(props: { listing: Listing; onChange: (listing: Listing) => void }) {
  const [draft, setDraft] = useState(props.listing);
  const action = useAction();
  return (
    <form
      class="search"
      role="search"
      onSubmit={(event) => {
        event.preventDefault();
        props.onChange(draft);
      }}
    >
      <Field
        label="Filter entries"
        value={draft.query}
        onInput={(query) => setDraft({ ...draft, query })}
        hint='A QueryString, e.g. Category -eq "Local PAM Entry" AND User -eq "admin"'
      />
      <SelectField
        label="Sort by"
        value={draft.sortField}
        onChange={(sortField) => setDraft({ ...draft, sortField })}
        options={sortFields.map((field) => ({ value: field, label: field }))}
      />
      <SelectField
        label="Order"
        value={draft.sortOrder}
        onChange={(sortOrder) => setDraft({ ...draft, sortOrder: sortOrder === '0' ? '0' : '1' })}
        options={[
          { value: '1', label: 'Newest first (descending)' },
          { value: '0', label: 'Oldest first (ascending)' },
        ]}
      />
      <button type="submit">Apply</button>{' '}
      <button
        type="button"
        disabled={action.isBusy}
        onClick={() =>
          void action.run(async () => {
            const csv = await download('downloadAudit', {
              query: { QueryString: draft.query, SortField: draft.sortField, SortAscending: draft.sortOrder },
            });
            const link = document.createElement('a');
            link.href = URL.createObjectURL(csv);
            link.download = 'audit-log.csv';
            link.click();
            window.setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
          })
        }
      >
        {action.isBusy ? 'Preparing CSV…' : 'Download CSV'}
      </button>
      <ErrorMessage error={action.error} />
    </form>
  );
}

function EntryDetail({ id }: { id: number }) {
  const entry = useLoad(async () => (await call<AuditEntry>('getAudit', { params: { id } })).data, [id]);
  const [validity, setValidity] = useState<boolean | undefined>(undefined);
  const action = useAction();
  return (
    <div class="detail">
      {entry.isLoading ? <Loading what={`entry ${id}`} /> : null}
      <ErrorMessage error={entry.error} />
      {entry.data === undefined ? null : (
        <dl class="facts">
          <dt>Category</dt>
          <dd>{nameOf(categoryNames, entry.data.Category)}</dd>
          <dt>Operation</dt>
          <dd>{nameOf(operationNames, entry.data.Operation)}</dd>
          <dt>Level</dt>
          <dd>{nameOf(levelNames, entry.data.Level)}</dd>
          <dt>Entity type</dt>
          <dd>{entry.data.EntityType}</dd>
          <dt>Object id</dt>
          <dd>{entry.data.ImmutableIdentifier}</dd>
          <dt>Message</dt>
          <dd>
            <code>{entry.data.Message}</code>
          </dd>
        </dl>
      )}
      <button
        type="button"
        disabled={action.isBusy}
        onClick={() =>
          void action.run(async () => {
            setValidity((await call<boolean>('validateAudit', { params: { id } })).data);
          })
        }
      >
        Validate entry {id}
      </button>{' '}
      {validity === undefined ? null : (
        <span role="status" class={validity ? 'ok' : 'bad'}>
          {validity ? 'Valid: the signature matches' : 'Invalid: the entry was altered'}
        </span>
      )}
      <ErrorMessage error={action.error} />
    </div>
  );
}

function ChainCheck() {
  const [report, setReport] = useState<ChainReport | undefined>(undefined);
  const action = useAction();
  return (
    <Section title="Chain check">
      <button
        type="button"
        disabled={action.isBusy}
        onClick={() =>
          void action.run(async () => {
            setReport((await call<ChainReport>('verifyAuditChain')).data);
          })
        }
      >
        {action.isBusy ? 'Checking the chain…' : 'Check the whole chain'}
      </button>
      <ErrorMessage error={action.error} />
      {report === undefined ? null : (
        <div role="status">
          <p class={report.Intact ? 'ok' : 'bad'}>
            {report.Intact
              ? `Intact: ${report.EntriesChecked} entries checked.`
              : `Broken: ${report.FindingCount} finding(s) in ${report.EntriesChecked} entries.`}
          </p>
          <ul>
            {report.Findings.map((finding, index) => (
              <li key={index}>{finding.Message ?? finding.Kind}</li>
            ))}
          </ul>
        </div>
      )}
    </Section>
  );
}
