import { useState } from 'preact/hooks';
import { call } from '../api/api-client.js';
import type { Provider, ProviderType } from '../api/api-types.js';
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
  SelectField,
  useAction,
  useLoad,
} from '../components/ui.js';

const pageSize = 25;

/** Searching takes the API's own QueryString, so what works with curl works here. */
export function SearchForm(props: { label: string; hint: string; onSearch: (query: string) => void }) {
  const [text, setText] = useState('');
  return (
    <form
      class="search"
      role="search"
      onSubmit={(event) => {
        event.preventDefault();
        props.onSearch(text);
      }}
    >
      <Field label={props.label} value={text} onInput={setText} hint={props.hint} />
      <button type="submit">Search</button>
    </form>
  );
}

export function ProvidersPage() {
  const { permissions } = useSignedIn();
  const [query, setQuery] = useState('');
  const [page, setPage] = useState(1);
  const providers = useLoad(
    async () =>
      (
        await call<Provider[]>('listProviders', {
          query: { QueryString: query, PageReturned: page, ReturnLimit: pageSize },
        })
      ).data,
    [query, page],
  );
  return (
    <>
      <PageTitle>PAM providers</PageTitle>
      <SearchForm
        label="Filter providers"
        hint='A QueryString, e.g. Name -contains "vault" or ProviderType -eq "LocalDB"'
        onSearch={(text) => {
          setQuery(text);
          setPage(1);
        }}
      />
      {providers.isLoading ? <Loading what="PAM providers" /> : null}
      <ErrorMessage error={providers.error} />
      {providers.data === undefined ? null : (
        <table>
          <caption>PAM providers</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Type</th>
              <th scope="col">Remote</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {providers.data.map((provider) => (
              <tr key={provider.Id}>
                <td>
                  <a href={href('providers', provider.Id)}>{provider.Name}</a>
                </td>
                <td>{provider.ProviderType.Name}</td>
                <td>{provider.Remote ? 'Yes' : 'No'}</td>
                <td>
                  {permissions.can('/pam/modify/', provider.Id) ? (
                    <ConfirmButton
                      label="Delete"
                      question={`Delete PAM provider ${provider.Name}?`}
                      onConfirm={async () => {
                        await call('deleteProvider', { params: { id: provider.Id } });
                        providers.reload();
                      }}
                    />
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager page={page} pageSize={pageSize} count={providers.data?.length ?? 0} onPage={setPage} />
      {permissions.can('/pam/modify/') ? (
        <CreateProvider onCreated={(id) => navigate('providers', id)} />
      ) : null}
    </>
  );
}

function CreateProvider(props: { onCreated: (id: number) => void }) {
  const types = useLoad(async () => (await call<ProviderType[]>('listProviderTypes')).data, []);
  const [name, setName] = useState('');
  const [typeId, setTypeId] = useState('');
  const [values, setValues] = useState<Record<string, string>>({});
  const action = useAction();
  const type = types.data?.find((item) => item.Id === typeId) ?? types.data?.[0];
  const providerLevel = type?.Parameters.filter((parameter) => !parameter.InstanceLevel) ?? [];
  return (
    <Section title="Create a PAM provider">
      {types.isLoading ? <Loading what="provider types" /> : null}
      <ErrorMessage error={types.error} />
      {type === undefined ? null : (
        <form
          onSubmit={(event) => {
            event.preventDefault();
            void action.run(async () => {
              const created = await call<Provider>('createProvider', {
                body: {
                  Name: name,
                  Remote: false,
                  ProviderType: { Id: type.Id },
                  ProviderTypeParamValues: providerLevel.map((parameter) => ({
                    Value: values[parameter.Name] ?? '',
                    ProviderTypeParam: { Name: parameter.Name },
                  })),
                },
              });
              setValues({});
              props.onCreated(created.data.Id);
            });
          }}
        >
          <Field label="Name" value={name} onInput={setName} required maxLength={400} />
          <SelectField
            label="Provider type"
            value={type.Id}
            onChange={(value) => {
              setTypeId(value);
              setValues({});
            }}
            options={(types.data ?? []).map((item) => ({ value: item.Id, label: item.Name }))}
          />
          {providerLevel.map((parameter) => (
            <Field
              key={`${type.Id}-${parameter.Name}`}
              label={parameter.DisplayName}
              type={parameter.DataType === 2 ? 'password' : 'text'}
              autoComplete="off"
              value={values[parameter.Name] ?? ''}
              onInput={(value) => setValues({ ...values, [parameter.Name]: value })}
            />
          ))}
          <ErrorMessage error={action.error} />
          <button type="submit" class="primary" disabled={action.isBusy}>
            {action.isBusy ? 'Creating…' : 'Create provider'}
          </button>
        </form>
      )}
    </Section>
  );
}
