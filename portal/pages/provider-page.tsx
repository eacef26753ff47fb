import { useState } from 'preact/hooks';
import { call } from '../api/api-client.js';
import type { Entry, Provider } from '../api/api-types.js';
import { href, navigate } from '../components/hash-route.js';
import { useSignedIn } from '../components/session-context.js';
import {
  ConfirmButton,
  ErrorMessage,
  Field,
  Loading,
  PageTitle,
  Pager,
  Section,
  TextAreaField,
  useAction,
  useLoad,
} from '../components/ui.js';
import { SearchForm } from './providers-page.js';

const pageSize = 25;

export function ProviderPage({ providerId }: { providerId: number }) {
  const provider = useLoad(
    async () => (await call<Provider>('getProvider', { params: { id: providerId } })).data,
    [providerId],
  );
  if (provider.isLoading && provider.data === undefined) return <Loading what="the PAM provider" />;
  if (provider.data === undefined) {
    return (
      <>
        <PageTitle>PAM provider</PageTitle>
        <ErrorMessage error={provider.error} />
      </>
    );
  }
  const data = provider.data;
  return (
    <>
      <p>
        <a href={href('providers')}>PAM providers</a>
      </p>
      <PageTitle>{`PAM provider ${data.Name}`}</PageTitle>
      <dl class="facts">
        <dt>Type</dt>
        <dd>{data.ProviderType.Name}</dd>
        <dt>Id</dt>
        <dd>{data.Id}</dd>
        {data.ProviderTypeParamValues.map((value) => (
          <div key={value.ProviderTypeParam.Name}>
            <dt>{value.ProviderTypeParam.DisplayName ?? value.ProviderTypeParam.Name}</dt>
            <dd>
              {value.ProviderTypeParam.DataType === 2
                ? value.Value === null
                  ? 'Not set'
                  : 'Set (hidden)'
                : (value.Value ?? '')}
            </dd>
          </div>
        ))}
      </dl>
      <EditProvider key={JSON.stringify(data)} provider={data} onSaved={provider.reload} />
      {data.ProviderType.Name === 'LocalDB' ? <Entries provider={data} /> : null}
    </>
  );
}

function Entries({ provider }: { provider: Provider }) {
  const { permissions } = useSignedIn();
  const canModify = permissions.can('/pam/modify/', provider.Id);
  const [query, setQuery] = useState('');
  const [page, setPage] = useState(1);
  const entries = useLoad(
    async () =>
      (
        await call<Entry[]>('listEntries', {
          params: { providerId: provider.Id },
          query: { QueryString: query, PageReturned: page, ReturnLimit: pageSize },
        })
      ).data,
    [provider.Id, query, page],
  );
  return (
    <Section title="Local entries">
      <SearchForm
        label="Filter entries"
        hint='A QueryString, e.g. SecretName -startswith "db"'
        onSearch={(text) => {
          setQuery(text);
          setPage(1);
        }}
      />
      {entries.isLoading ? <Loading what="entries" /> : null}
      <ErrorMessage error={entries.error} />
      {entries.data === undefined ? null : (
        <table>
          <caption>Entries of {provider.Name}</caption>
          <thead>
            <tr>
              <th scope="col">Secret name</th>
              <th scope="col">Description</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {entries.data.map((entry) => (
              <tr key={entry.SecretName}>
                <td>
                  <a href={href('providers', provider.Id, 'entries', entry.SecretName)}>{entry.SecretName}</a>
                </td>
                <td>{entry.Description ?? ''}</td>
                <td>
                  {canModify ? (
                    <ConfirmButton
                      label="Delete"
                      question={`Delete entry ${entry.SecretName} and its history?`}
                      onConfirm={async () => {
                        await call('deleteEntry', {
                          params: { providerId: provider.Id, secretName: entry.SecretName },
                        });
                        entries.reload();
                      }}
                    />
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager page={page} pageSize={pageSize} count={entries.data?.length ?? 0} onPage={setPage} />
      {canModify ? (
        <CreateEntry
          providerId={provider.Id}
          onCreated={(name) => navigate('providers', provider.Id, 'entries', name)}
        />
      ) : null}
    </Section>
  );
}

function CreateEntry(props: { providerId: number; onCreated: (name: string) => void }) {
  const [name, setName] = useState('');
  const [value, setValue] = useState('');
  const [description, setDescription] = useState('');
  const action = useAction();
  return (
    <form
      aria-labelledby="create-entry"
      onSubmit={(event) => {
        event.preventDefault();
        void action
          .run(async () => {
            await call<Entry>('createEntry', {
              params: { providerId: props.providerId },
              body: {
                SecretName: name,
                SecretValue: value,
                Description: description === '' ? null : description,
              },
            });
          })
          .then((done) => {
            // The value is write-only: once sent it is dropped from the page either way.
            setValue('');
            if (done) props.onCreated(name);
          });
      }}
    >
      <h3 id="create-entry">Create an entry</h3>
      <Field label="Secret name" value={name} onInput={setName} required maxLength={400} />
      <Field
        label="Secret value"
        type="password"
        autoComplete="off"
        value={value}
        onInput={setValue}
        required
        hint="Write-only: it is stored sealed and never shown again."
      />
      <TextAreaField label="Description" value={description} onInput={setDescription} rows={2} />
      <ErrorMessage error={action.error} />
      <button type="submit" class="primary" disabled={action.isBusy}>
        {action.isBusy ? 'Creating…' : 'Create entry'}
      </button>
    </form>
  );
}

/** What the API shows for a stored secret parameter; sending it back keeps the stored value. */
const secretMask = '********************';

function EditProvider(props: { provider: Provider; onSaved: () => void }) {
  const { permissions } = useSignedIn();
  const { provider } = props;
  const parameters = provider.ProviderType.ProviderTypeParams.filter((parameter) => !parameter.InstanceLevel);
  const storedValue = (name: string) =>
    provider.ProviderTypeParamValues.find((value) => value.ProviderTypeParam.Name === name)?.Value ?? null;
  const [name, setName] = useState(provider.Name);
  const [values, setValues] = useState<Record<string, string>>(() =>
    Object.fromEntries(
      parameters.map((parameter) => [
        parameter.Name,
        parameter.DataType === 2 ? '' : (storedValue(parameter.Name) ?? ''),
      ]),
    ),
  );
  const action = useAction();
  if (!permissions.can('/pam/modify/', provider.Id)) return null;
  return (
    <Section title="Edit provider">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void action
            .run(async () => {
              await call('updateProvider', {
                body: {
                  Id: provider.Id,
                  Name: name,
                  Remote: provider.Remote,
                  ProviderType: { Id: provider.ProviderType.Id },
                  ProviderTypeParamValues: parameters.map((parameter) => {
                    const typed = values[parameter.Name] ?? '';
                    // An empty secret field keeps what is stored; the API reads the mask that way.
                    const keepsSecret =
                      parameter.DataType === 2 && typed === '' && storedValue(parameter.Name) !== null;
                    return {
                      Value: keepsSecret ? secretMask : typed,
                      ProviderTypeParam: { Name: parameter.Name },
                    };
                  }),
                },
              });
            })
            .then((done) => {
              setValues((current) =>
                Object.fromEntries(
                  parameters.map((parameter) => [
                    parameter.Name,
                    parameter.DataType === 2 ? '' : (current[parameter.Name] ?? ''),
                  ]),
                ),
              );
              if (done) props.onSaved();
            });
        }}
      >
        <Field label="Provider name" value={name} onInput={setName} required maxLength={400} />
        {parameters.map((parameter) => (
          <Field
            key={parameter.Name}
            label={parameter.DisplayName}
            type={parameter.DataType === 2 ? 'password' : 'text'}
            autoComplete="off"
            value={values[parameter.Name] ?? ''}
            onInput={(value) => setValues({ ...values, [parameter.Name]: value })}
            {...(parameter.DataType === 2
              ? { hint: 'Write-only: leave empty to keep the stored value.' }
              : {})}
          />
        ))}
        <ErrorMessage error={action.error} />
        <button type="submit" disabled={action.isBusy}>
          Save provider
        </button>
      </form>
    </Section>
  );
}
