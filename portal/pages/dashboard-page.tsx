import { call } from '../api/api-client.js';
import type { ChainReport, Entry, Provider, Store, User } from '../api/api-types.js';
import { href } from '../components/hash-route.js';
import { useSignedIn } from '../components/session-context.js';
import { ErrorMessage, formatTime, Loading, PageTitle, Section, useLoad } from '../components/ui.js';

/** Lists are paged at most 5000 to a page; the dashboard counts by reading whole pages until one is short. */
const countPageSize = 5000;

async function countAll(load: (page: number) => Promise<unknown[]>): Promise<number> {
  let total = 0;
  for (let page = 1; ; page += 1) {
    const items = await load(page);
    total += items.length;
    if (items.length < countPageSize) return total;
  }
}

interface Counts {
  providers?: number;
  entries?: number;
  stores?: number;
  users?: number;
}

export function DashboardPage() {
  const { permissions } = useSignedIn();
  const canReadPam = permissions.canAny('/pam/read/');
  const canReadStores = permissions.canAny('/certificate_stores/read/');
  const canReadUsers = permissions.can('/security/read/');
  const canReadAudit = permissions.can('/auditing/read/');

  const counts = useLoad(async (): Promise<Counts> => {
    const result: Counts = {};
    if (canReadPam) {
      const providers = (await call<Provider[]>('listProviders', { query: { ReturnLimit: countPageSize } }))
        .data;
      result.providers = providers.length;
      let entries = 0;
      for (const provider of providers.filter((item) => item.ProviderType.Name === 'LocalDB')) {
        entries += await countAll(
          async (page) =>
            (
              await call<Entry[]>('listEntries', {
                params: { providerId: provider.Id },
                query: { ReturnLimit: countPageSize, PageReturned: page },
              })
            ).data,
        );
      }
      result.entries = entries;
    }
    if (canReadStores) {
      result.stores = await countAll(
        async (page) =>
          (await call<Store[]>('listStores', { query: { ReturnLimit: countPageSize, PageReturned: page } }))
            .data,
      );
    }
    if (canReadUsers) result.users = (await call<User[]>('listUsers')).data.length;
    return result;
  }, []);
  const chain = useLoad(
    async () => (canReadAudit ? (await call<ChainReport>('verifyAuditChain')).data : undefined),
    [],
  );

  const tiles: { label: string; value: number | undefined; link: string }[] = [
    { label: 'PAM providers', value: counts.data?.providers, link: href('providers') },
    { label: 'Local PAM entries', value: counts.data?.entries, link: href('providers') },
    { label: 'Certificate stores', value: counts.data?.stores, link: href('stores') },
    { label: 'Users', value: counts.data?.users, link: href('users') },
  ];
  return (
    <>
      <PageTitle>Dashboard</PageTitle>
      <Section title="At a glance">
        {counts.isLoading ? <Loading what="counts" /> : null}
        <ErrorMessage error={counts.error} />
        <ul class="tiles">
          {tiles
            .filter((tile) => tile.value !== undefined)
            .map((tile) => (
              <li key={tile.label}>
                <a href={tile.link}>
                  <span class="tile-value">{tile.value}</span> <span class="tile-label">{tile.label}</span>
                </a>
              </li>
            ))}
        </ul>
      </Section>
      {canReadAudit ? (
        <Section title="Audit chain">
          {chain.isLoading ? <Loading what="the audit chain check" /> : null}
          <ErrorMessage error={chain.error} />
          {chain.data === undefined ? null : (
            <dl class="facts">
              <dt>Status</dt>
              <dd class={chain.data.Intact ? 'ok' : 'bad'}>
                {chain.data.Intact ? 'Intact' : `Broken: ${chain.data.FindingCount} finding(s)`}
              </dd>
              <dt>Entries checked</dt>
              <dd>{chain.data.EntriesChecked}</dd>
              <dt>Last checkpoint</dt>
              <dd>
                {chain.data.LatestCheckpoint === null
                  ? 'None yet'
                  : `Sequence ${chain.data.LatestCheckpoint.Sequence}${
                      typeof chain.data.LatestCheckpoint.CreatedAt === 'string'
                        ? ` at ${formatTime(chain.data.LatestCheckpoint.CreatedAt)}`
                        : ''
                    }`}
              </dd>
            </dl>
          )}
        </Section>
      ) : null}
    </>
  );
}
