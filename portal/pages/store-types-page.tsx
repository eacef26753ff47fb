import { call } from '../api/api-client.js';
import type { StoreType } from '../api/api-types.js';
import { ErrorMessage, Loading, PageTitle, useLoad } from '../components/ui.js';

export function StoreTypesPage() {
  const types = useLoad(
    async () => (await call<StoreType[]>('listStoreTypes', { query: { ReturnLimit: 5000 } })).data,
    [],
  );
  return (
    <>
      <PageTitle>Store types</PageTitle>
      {types.isLoading ? <Loading what="store types" /> : null}
      <ErrorMessage error={types.error} />
      {types.data === undefined ? null : (
        <table>
          <caption>Certificate store types</caption>
          <thead>
            <tr>
              <th scope="col">Number</th>
              <th scope="col">Name</th>
              <th scope="col">Short name</th>
              <th scope="col">Store password</th>
            </tr>
          </thead>
          <tbody>
            {types.data.map((type) => (
              <tr key={type.StoreType}>
                <td>{type.StoreType}</td>
                <td>{type.Name}</td>
                <td>{type.ShortName}</td>
                <td>{type.PasswordOptions.StoreRequired ? 'Required' : 'Optional'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
