import { useEffect, useState } from 'preact/hooks';
import { call } from '../api/api-client.js';
import type { Container, NewStorePassword, Provider, Store, StoreType } from '../api/api-types.js';
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
/** How long a revealed password stays on the page. */
const revealMs = 30_000;

function useContainersAndTypes() {
  return useLoad(async () => {
    const [containers, types] = await Promise.all([
      call<Container[]>('listContainers', { query: { ReturnLimit: 5000 } }),
      call<StoreType[]>('listStoreTypes', { query: { ReturnLimit: 5000 } }),
    ]);
    return { containers: containers.data, types: types.data };
  }, []);
}

export function StoresPage() {
  const { permissions } = useSignedIn();
  const [containerId, setContainerId] = useState('');
  const [page, setPage] = useState(1);
  const lookups = useContainersAndTypes();
  const stores = useLoad(
    async () =>
      (
        await call<Store[]>('listStores', {
          query: {
            QueryString: containerId === '' ? undefined : `ContainerId -eq ${containerId}`,
            PageReturned: page,
            ReturnLimit: pageSize,
          },
        })
      ).data,
    [containerId, page],
  );
  const typeName = (code: number) =>
    lookups.data?.types.find((type) => type.StoreType === code)?.Name ?? String(code);
  return (
    <>
      <PageTitle>Certificate stores</PageTitle>
      <SelectField
        label="Container"
        value={containerId}
        onChange={(value) => {
          setContainerId(value);
          setPage(1);
        }}
        options={[
          { value: '', label: 'All containers' },
          ...(lookups.data?.containers ?? []).map((container) => ({
            value: String(container.Id),
            label: container.Name,
          })),
        ]}
      />
      {stores.isLoading ? <Loading what="certificate stores" /> : null}
      <ErrorMessage error={stores.error ?? lookups.error} />
      {stores.data === undefined ? null : (
        <table>
          <caption>Certificate stores</caption>
          <thead>
            <tr>
              <th scope="col">Store</th>
              <th scope="col">Type</th>
              <th scope="col">Container</th>
              <th scope="col">Password</th>
            </tr>
          </thead>
          <tbody>
            {stores.data.map((store) => (
              <tr key={store.Id}>
                <td>
                  <a href={href('stores', store.Id)}>{store.DisplayName}</a>
                </td>
                <td>{typeName(store.CertStoreType)}</td>
                <td>{store.ContainerName ?? 'None'}</td>
                <td>{passwordState(store)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager page={page} pageSize={pageSize} count={stores.data?.length ?? 0} onPage={setPage} />
      {permissions.canAny('/certificate_stores/modify/') && lookups.data !== undefined ? (
        <CreateStore containers={lookups.data.containers} types={lookups.data.types} />
      ) : null}
    </>
  );
}

function passwordState(store: Store, providers?: readonly Provider[]): string {
  if (!store.Password.HasValue) return 'No password';
  if (!store.Password.IsManaged) return 'Stored value';
  const provider = providers?.find((item) => item.Id === store.Password.ProviderId);
  return `PAM reference to ${provider === undefined ? `provider ${store.Password.ProviderId ?? ''}` : provider.Name}`;
}

function CreateStore(props: { containers: Container[]; types: StoreType[] }) {
  const [clientMachine, setClientMachine] = useState('');
  const [storePath, setStorePath] = useState('');
  const [type, setType] = useState(String(props.types[0]?.StoreType ?? 0));
  const [containerId, setContainerId] = useState('');
  const action = useAction();
  return (
    <Section title="Create a certificate store">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void action.run(async () => {
            const created = await call<Store>('createStore', {
              body: {
                ClientMachine: clientMachine,
                Storepath: storePath,
                CertStoreType: Number(type),
                ...(containerId === '' ? {} : { ContainerId: Number(containerId) }),
              },
            });
            navigate('stores', created.data.Id);
          });
        }}
      >
        <Field
          label="Client machine"
          value={clientMachine}
          onInput={setClientMachine}
          required
          maxLength={512}
        />
        <Field label="Store path" value={storePath} onInput={setStorePath} required maxLength={722} />
        <SelectField
          label="Store type"
          value={type}
          onChange={setType}
          options={props.types.map((item) => ({ value: String(item.StoreType), label: item.Name }))}
        />
        <SelectField
          label="Container"
          value={containerId}
          onChange={setContainerId}
          options={[
            { value: '', label: 'None' },
            ...props.containers.map((container) => ({ value: String(container.Id), label: container.Name })),
          ]}
        />
        <ErrorMessage error={action.error} />
        <button type="submit" class="primary" disabled={action.isBusy}>
          {action.isBusy ? 'Creating…' : 'Create store'}
        </button>
      </form>
    </Section>
  );
}

export function StorePage({ storeId }: { storeId: string }) {
  const { permissions } = useSignedIn();
  const store = useLoad(
    async () => (await call<Store>('getStore', { params: { id: storeId } })).data,
    [storeId],
  );
  const lookups = useContainersAndTypes();
  const canReadPam = permissions.canAny('/pam/read/');
  const providers = useLoad(
    async () =>
      canReadPam ? (await call<Provider[]>('listProviders', { query: { ReturnLimit: 5000 } })).data : [],
    [canReadPam],
  );
  if (store.data === undefined) {
    return (
      <>
        <PageTitle>Certificate store</PageTitle>
        {store.isLoading ? <Loading what="the certificate store" /> : null}
        <ErrorMessage error={store.error} />
      </>
    );
  }
  const data = store.data;
  const canModify =
    data.ContainerId === null
      ? permissions.can('/certificate_stores/modify/')
      : permissions.can('/certificate_stores/modify/', data.ContainerId);
  return (
    <>
      <p>
        <a href={href('stores')}>Certificate stores</a>
      </p>
      <PageTitle>{`Certificate store ${data.DisplayName}`}</PageTitle>
      <dl class="facts">
        <dt>Id</dt>
        <dd>{data.Id}</dd>
        <dt>Type</dt>
        <dd>
          {lookups.data?.types.find((type) => type.StoreType === data.CertStoreType)?.Name ??
            data.CertStoreType}
        </dd>
        <dt>Container</dt>
        <dd>{data.ContainerName ?? 'None'}</dd>
        <dt>Password</dt>
        <dd>
          {passwordState(data, providers.data)}
          {data.Password.ProviderTypeParameterValues.map((value) => (
            <span key={value.ProviderTypeParam.Name} class="parameter">
              {' '}
              {value.ProviderTypeParam.Name}: {value.Value ?? ''}
            </span>
          ))}
        </dd>
      </dl>
      {permissions.can('/strongroom/resolve/') && data.Password.HasValue ? (
        <RevealPassword storeId={data.Id} />
      ) : null}
      {permissions.can('/certificate_stores/modify/') ? (
        <SetPassword storeId={data.Id} onSaved={store.reload} />
      ) : null}
      {canModify && lookups.data !== undefined ? (
        <MoveStore store={data} containers={lookups.data.containers} onMoved={store.reload} />
      ) : null}
      {canModify ? (
        <Section title="Delete">
          <ConfirmButton
            label="Delete store"
            question={`Delete certificate store ${data.DisplayName} and every secret it holds?`}
            onConfirm={async () => {
              await call('deleteStore', { params: { id: data.Id } });
              navigate('stores');
            }}
          />
        </Section>
      ) : null}
    </>
  );
}

/** Shows the password after the person confirms; the API audits the reveal, and the page forgets it in 30 s. */
function RevealPassword({ storeId }: { storeId: string }) {
  const [isAsking, setAsking] = useState(false);
  const [value, setValue] = useState<string | null | undefined>(undefined);
  const action = useAction();
  useEffect(() => {
    if (value === undefined) return undefined;
    const timer = window.setTimeout(() => setValue(undefined), revealMs);
    return () => window.clearTimeout(timer);
  }, [value]);
  return (
    <Section title="Reveal the password">
      {value !== undefined ? (
        <p>
          <span class="revealed" aria-live="polite">
            {value ?? '(no password)'}
          </span>{' '}
          <button type="button" onClick={() => setValue(undefined)}>
            Hide
          </button>{' '}
          <small>Hidden again after 30 seconds.</small>
        </p>
      ) : isAsking ? (
        <p class="confirm">
          The reveal is recorded in the audit log under your name.{' '}
          <button
            type="button"
            class="danger"
            disabled={action.isBusy}
            onClick={() =>
              void action.run(async () => {
                const resolved = await call<{ Password: string | null }>('resolveStorePassword', {
                  params: { id: storeId },
                });
                setAsking(false);
                setValue(resolved.data.Password);
              })
            }
          >
            Yes, reveal it
          </button>{' '}
          <button type="button" onClick={() => setAsking(false)}>
            Cancel
          </button>
        </p>
      ) : (
        <button type="button" onClick={() => setAsking(true)}>
          Reveal password
        </button>
      )}
      <ErrorMessage error={action.error} />
    </Section>
  );
}

type PasswordForm = 'value' | 'reference' | 'none';

function SetPassword(props: { storeId: string; onSaved: () => void }) {
  const [form, setForm] = useState<PasswordForm>('value');
  const [secret, setSecret] = useState('');
  const [providerId, setProviderId] = useState('');
  const [parameters, setParameters] = useState<Record<string, string>>({});
  const action = useAction();
  const providers = useLoad(
    async () => (await call<Provider[]>('listProviders', { query: { ReturnLimit: 5000 } })).data,
    [],
  );
  const provider = providers.data?.find((item) => String(item.Id) === providerId) ?? providers.data?.[0];
  const instanceParameters =
    provider?.ProviderType.ProviderTypeParams.filter((parameter) => parameter.InstanceLevel) ?? [];
  const newPassword = (): NewStorePassword => {
    if (form === 'value') return { SecretValue: secret };
    if (form === 'none' || provider === undefined) return {};
    return {
      Provider: provider.Id,
      Parameters: Object.fromEntries(
        instanceParameters.map((parameter) => [parameter.Name, parameters[parameter.Name] ?? '']),
      ),
    };
  };
  return (
    <Section title="Set the password">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void action
            .run(async () => {
              await call('setStorePassword', {
                body: { CertStoreId: props.storeId, NewPassword: newPassword() },
              });
            })
            .then((done) => {
              setSecret('');
              if (done) props.onSaved();
            });
        }}
      >
        <fieldset>
          <legend>Password form</legend>
          {(
            [
              ['value', 'A stored value'],
              ['reference', 'A PAM reference'],
              ['none', 'No password'],
            ] as const
          ).map(([option, label]) => (
            <label key={option} class="choice">
              <input
                type="radio"
                name="password-form"
                value={option}
                checked={form === option}
                onChange={() => setForm(option)}
              />{' '}
              {label}
            </label>
          ))}
        </fieldset>
        {form === 'value' ? (
          <Field
            label="Store password"
            type="password"
            autoComplete="off"
            value={secret}
            onInput={setSecret}
            required
            hint="Write-only: stored sealed and never shown."
          />
        ) : null}
        {form === 'reference' ? (
          <>
            {providers.isLoading ? <Loading what="PAM providers" /> : null}
            <ErrorMessage error={providers.error} />
            <SelectField
              label="PAM provider"
              value={provider === undefined ? '' : String(provider.Id)}
              onChange={(value) => {
                setProviderId(value);
                setParameters({});
              }}
              options={(providers.data ?? []).map((item) => ({ value: String(item.Id), label: item.Name }))}
            />
            {instanceParameters.map((parameter) => (
              <Field
                key={`${provider?.Id ?? ''}-${parameter.Name}`}
                label={parameter.DisplayName}
                value={parameters[parameter.Name] ?? ''}
                onInput={(value) => setParameters({ ...parameters, [parameter.Name]: value })}
                required
              />
            ))}
          </>
        ) : null}
        <ErrorMessage error={action.error} />
        <button type="submit" class="primary" disabled={action.isBusy}>
          Save password
        </button>
      </form>
    </Section>
  );
}

function MoveStore(props: { store: Store; containers: Container[]; onMoved: () => void }) {
  const { permissions } = useSignedIn();
  // Containers are answered without their store type (as Command 25 publishes them), so a container holding
  // stores of another type is offered too; the server refuses that move and its Message is shown.
  const targets = props.containers.filter(
    (container) =>
      container.Id !== props.store.ContainerId &&
      permissions.can('/certificate_stores/modify/', container.Id),
  );
  const [containerId, setContainerId] = useState('');
  const action = useAction();
  if (targets.length === 0) return null;
  // After a move the remembered choice is the store's own container, which is no longer offered.
  const chosen = targets.some((container) => String(container.Id) === containerId)
    ? containerId
    : String(targets[0]?.Id ?? '');
  return (
    <Section title="Move to another container">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void action
            .run(async () => {
              await call('assignStoreContainer', {
                body: { KeystoreIds: [props.store.Id], CertStoreContainerId: Number(chosen) },
              });
            })
            .then((done) => done && props.onMoved());
        }}
      >
        <SelectField
          label="New container"
          value={chosen}
          onChange={setContainerId}
          options={targets.map((container) => ({ value: String(container.Id), label: container.Name }))}
        />
        <ErrorMessage error={action.error} />
        <button type="submit" disabled={action.isBusy}>
          Move store
        </button>
      </form>
    </Section>
  );
}
