import { performance } from 'node:perf_hooks';
import type { ApiClient } from './api-client.js';
import type { LoadSettings } from './load-runner.js';
import { runAmount } from './load-runner.js';

export interface SeededData {
  providerIds: number[];
  entryCount: number;
  seconds: number;
  entriesPerSecond: number;
}

/** Entry `index` is named this and lives in provider `index % providers`, so scenarios can find any of them. */
export function entryName(index: number): string {
  return `bench-entry-${index}`;
}

export function providerOfEntry(data: SeededData, index: number): number {
  const providerId = data.providerIds[index % data.providerIds.length];
  if (providerId === undefined) throw new Error('no providers were seeded');
  return providerId;
}

/**
 * Creates LocalDB providers and fills them through the public API, many requests at a time: every entry is
 * sealed, versioned and audited exactly as a client's would be, so the data set is one the server could
 * really hold, not rows written around it.
 */
export async function seedLocalEntries(
  api: ApiClient,
  settings: Omit<LoadSettings, 'durationSeconds' | 'warmupSeconds'>,
  counts: { providers: number; entries: number; runTag: string },
): Promise<SeededData> {
  const types = (await api.expectOk('GET', '/KeyfactorAPI/PamProviders/Types')) as {
    Id: string;
    Name: string;
  }[];
  const localType = types.find((type) => type.Name.toLowerCase() === 'localdb');
  if (localType === undefined) throw new Error('the server offers no LocalDB provider type');

  const providerIds: number[] = [];
  for (let index = 0; index < counts.providers; index += 1) {
    const created = (await api.expectOk('POST', '/KeyfactorAPI/PamProviders', {
      Name: `bench-provider-${counts.runTag}-${index}`,
      ProviderType: { Id: localType.Id },
      ProviderTypeParamValues: [],
    })) as { Id: number };
    providerIds.push(created.Id);
  }
  const data: SeededData = { providerIds, entryCount: counts.entries, seconds: 0, entriesPerSecond: 0 };
  if (counts.entries === 0) return data;

  let next = 0;
  const startedAt = performance.now();
  const figures = await runAmount(
    settings,
    {
      method: 'POST',
      next() {
        const index = next;
        next += 1;
        return {
          path: `/KeyfactorAPI/PamProviders/Local/${providerOfEntry(data, index)}/Entries`,
          body: JSON.stringify({
            SecretName: entryName(index),
            SecretValue: `seed-value-${index}-${Math.random().toString(36).slice(2)}`,
            Description: `Benchmark entry ${index}`,
          }),
        };
      },
    },
    counts.entries,
  );
  const created = figures.statusCodes['200'] ?? 0;
  if (created !== counts.entries || figures.errors > 0) {
    throw new Error(
      `seeding created ${created} of ${counts.entries} entries (status codes ${JSON.stringify(figures.statusCodes)}, ${figures.errors} errors)`,
    );
  }
  data.seconds = (performance.now() - startedAt) / 1000;
  data.entriesPerSecond = counts.entries / data.seconds;
  return data;
}
