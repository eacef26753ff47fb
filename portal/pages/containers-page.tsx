import { useState } from 'preact/hooks';
import { call } from '../api/api-client.js';
import type { Container, StoreType } from '../api/api-types.js';
import { useSignedIn } from '../components/session-context.js';
import {
  ConfirmButton,
  ErrorMessage,
  Field,
  Loading,
  PageTitle,
  Section,
  SelectField,
  useAction,
  useLoad,
} from '../components/ui.js';

export function ContainersPage() {
  const { permissions } = useSignedIn();
  const loaded = useLoad(async () => {
    const [containers, types] = await Promise.all([
      call<Container[]>('listContainers', { query: { ReturnLimit: 5000 } }),
      call<StoreType[]>('listStoreTypes', { query: { ReturnLimit: 5000 } }),
    ]);
    return { containers: containers.data, types: types.data };
  }, []);
  return (
    <>
      <PageTitle>Containers</PageTitle>
      {loaded.isLoading ? <Loading what="containers" /> : null}
      <ErrorMessage error={loaded.error} />
      {loaded.data === undefined ? null : (
        <>
          <table>
            <caption>Certificate store containers</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Stores</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {loaded.data.containers.map((container) => (
                <tr key={container.Id}>
                  <td>{container.Name}</td>
                  <td>{container.StoreCount}</td>
                  <td>
                    {permissions.can('/certificate_stores/modify/', container.Id) ? (
                      <ConfirmButton
                        label="Delete"
                        question={`Delete container ${container.Name}?`}
                        onConfirm={async () => {
                          await call('deleteContainer', { params: { id: container.Id } });
                          loaded.reload();
                        }}
                      />
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {permissions.can('/certificate_stores/modify/') ? (
            <CreateContainer types={loaded.data.types} onCreated={loaded.reload} />
          ) : null}
        </>
      )}
    </>
  );
}

function CreateContainer(props: { types: StoreType[]; onCreated: () => void }) {
  const [name, setName] = useState('');
  const [type, setType] = useState('');
  const action = useAction();
  return (
    <Section title="Create a container">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void action
            .run(async () => {
              await call('createContainer', {
                body: type === '' ? { Name: name } : { Name: name, CertStoreType: Number(type) },
              });
            })
            .then((done) => {
              if (done) {
                setName('');
                props.onCreated();
              }
            });
        }}
      >
        <Field label="Container name" value={name} onInput={setName} required maxLength={256} />
        <SelectField
          label="Store type"
          value={type}
          onChange={setType}
          options={[
            { value: '', label: 'The type of the first store placed in it' },
            ...props.types.map((item) => ({ value: String(item.StoreType), label: item.Name })),
          ]}
        />
        <ErrorMessage error={action.error} />
        <button type="submit" class="primary" disabled={action.isBusy}>
          Create container
        </button>
      </form>
    </Section>
  );
}
