import { useState } from 'preact/hooks';
import { ApiError, call } from '../api/api-client.js';
import type { EntryDetail, EntryVersion } from '../api/api-types.js';
import { href } from '../components/hash-route.js';
import { useSignedIn } from '../components/session-context.js';
import {
  ErrorMessage,
  Field,
  formatTime,
  Loading,
  PageTitle,
  Section,
  TextAreaField,
  useAction,
  useLoad,
} from '../components/ui.js';

interface LoadedEntry {
  entry: EntryDetail;
  /** The version the page shows; every change is sent with it, so a change made meanwhile is not overwritten. */
  etag: string;
  versions: EntryVersion[];
}

/** A 412 means someone changed the entry since this page read it: say who and when, and change nothing. */
async function explainConflict(error: unknown, providerId: number, secretName: string): Promise<never> {
  if (error instanceof ApiError && error.status === 412) {
    const current = (await call<EntryDetail>('getEntry', { params: { providerId, secretName } })).data;
    throw new Error(
      `Not saved: ${current.UpdatedBy} changed this entry at ${formatTime(current.UpdatedAt)} (it is now version ${current.Version}). ` +
        'Reload the page to see that change before you try again.',
    );
  }
  throw error;
}

export function EntryPage({ providerId, secretName }: { providerId: number; secretName: string }) {
  const { permissions } = useSignedIn();
  const canModify = permissions.can('/pam/modify/', providerId);
  const loaded = useLoad(async (): Promise<LoadedEntry> => {
    const params = { providerId, secretName };
    const [entry, versions] = await Promise.all([
      call<EntryDetail>('getEntry', { params }),
      call<EntryVersion[]>('listEntryVersions', { params }),
    ]);
    return { entry: entry.data, etag: entry.headers.get('etag') ?? '', versions: versions.data };
  }, [providerId, secretName]);

  return (
    <>
      <p>
        <a href={href('providers', providerId)}>Back to the provider</a>
      </p>
      <PageTitle>{`Entry ${secretName}`}</PageTitle>
      {loaded.isLoading ? <Loading what="the entry" /> : null}
      <ErrorMessage error={loaded.error} />
      {loaded.data === undefined ? null : (
        <>
          <dl class="facts">
            <dt>Description</dt>
            <dd>{loaded.data.entry.Description ?? ''}</dd>
            <dt>Version</dt>
            <dd>{loaded.data.entry.Version}</dd>
            <dt>Last changed</dt>
            <dd>
              {formatTime(loaded.data.entry.UpdatedAt)} by {loaded.data.entry.UpdatedBy}
            </dd>
            <dt>Value</dt>
            <dd>Stored (write-only, never shown)</dd>
          </dl>
          {canModify ? (
            <>
              <EditDescription
                key={`description-${loaded.data.entry.Version}`}
                providerId={providerId}
                loaded={loaded.data}
                onSaved={loaded.reload}
              />
              <SetValue providerId={providerId} loaded={loaded.data} onSaved={loaded.reload} />
            </>
          ) : null}
          <History
            providerId={providerId}
            loaded={loaded.data}
            canModify={canModify}
            onRestored={loaded.reload}
          />
        </>
      )}
    </>
  );
}

function EditDescription(props: { providerId: number; loaded: LoadedEntry; onSaved: () => void }) {
  const { entry, etag } = props.loaded;
  const [description, setDescription] = useState(entry.Description ?? '');
  const action = useAction();
  return (
    <Section title="Description">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void action
            .run(async () => {
              const params = { providerId: props.providerId, secretName: entry.SecretName };
              await call('updateEntry', {
                params,
                headers: { 'if-match': etag },
                body: { SecretName: entry.SecretName, Description: description === '' ? null : description },
              }).catch((error: unknown) => explainConflict(error, props.providerId, entry.SecretName));
            })
            .then((done) => done && props.onSaved());
        }}
      >
        <TextAreaField label="Description" value={description} onInput={setDescription} rows={2} />
        <ErrorMessage error={action.error} />
        <button type="submit" disabled={action.isBusy}>
          Save description
        </button>
      </form>
    </Section>
  );
}

function SetValue(props: { providerId: number; loaded: LoadedEntry; onSaved: () => void }) {
  const { entry, etag } = props.loaded;
  const [value, setValue] = useState('');
  const action = useAction();
  return (
    <Section title="New value">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void action
            .run(async () => {
              await call('updateEntry', {
                params: { providerId: props.providerId, secretName: entry.SecretName },
                headers: { 'if-match': etag },
                // Description is replaced by a PUT, so the one shown is sent back unchanged.
                body: { SecretName: entry.SecretName, SecretValue: value, Description: entry.Description },
              }).catch((error: unknown) => explainConflict(error, props.providerId, entry.SecretName));
            })
            .then((done) => {
              setValue('');
              if (done) props.onSaved();
            });
        }}
      >
        <Field
          label="New secret value"
          type="password"
          autoComplete="off"
          value={value}
          onInput={setValue}
          required
          hint="Write-only: the current value is never shown. The old one is kept in the history."
        />
        <ErrorMessage error={action.error} />
        <button type="submit" disabled={action.isBusy}>
          Set new value
        </button>
      </form>
    </Section>
  );
}

function History(props: {
  providerId: number;
  loaded: LoadedEntry;
  canModify: boolean;
  onRestored: () => void;
}) {
  const { entry, etag, versions } = props.loaded;
  const action = useAction();
  return (
    <Section title="Version history">
      <ErrorMessage error={action.error} />
      <table>
        <caption>Versions of {entry.SecretName}, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Description</th>
            <th scope="col">Changed</th>
            <th scope="col">By</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {versions.map((version) => (
            <tr key={version.Version}>
              <td>
                {version.Version}
                {version.IsCurrent ? ' (current)' : ''}
              </td>
              <td>{version.Description ?? ''}</td>
              <td>{formatTime(version.ChangedAt)}</td>
              <td>{version.ChangedBy}</td>
              <td>
                {props.canModify && !version.IsCurrent ? (
                  <button
                    type="button"
                    disabled={action.isBusy}
                    onClick={() =>
                      void action
                        .run(async () => {
                          await call('restoreEntryVersion', {
                            params: {
                              providerId: props.providerId,
                              secretName: entry.SecretName,
                              version: version.Version,
                            },
                            headers: { 'if-match': etag },
                          }).catch((error: unknown) =>
                            explainConflict(error, props.providerId, entry.SecretName),
                          );
                        })
                        .then((done) => done && props.onRestored())
                    }
                  >
                    Restore version {version.Version}
                  </button>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}
