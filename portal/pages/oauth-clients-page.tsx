import { useState } from 'preact/hooks';
import { call } from '../api/api-client.js';
import type { OAuthClient, OAuthClientWithSecret } from '../api/api-types.js';
import { useSignedIn } from '../components/session-context.js';
import {
  ConfirmButton,
  ErrorMessage,
  Field,
  formatTime,
  Loading,
  PageTitle,
  Section,
  useAction,
  useLoad,
} from '../components/ui.js';

/**
 * A client secret the server has just handed out. It lives only in this page's component state: never in
 * web storage or the URL, and it leaves the DOM when the person dismisses it or leaves the page.
 */
interface IssuedSecret {
  clientId: string;
  secret: string;
  reason: 'created' | 'rotated';
}

export function OAuthClientsPage() {
  const { permissions } = useSignedIn();
  const canRead = permissions.can('/security/read/');
  const canModify = permissions.can('/security/modify/');
  const [issued, setIssued] = useState<IssuedSecret | undefined>(undefined);
  const clients = useLoad(
    async () => (canRead ? (await call<OAuthClient[]>('listOAuthClients')).data : []),
    [canRead],
  );
  if (!canRead) {
    return (
      <>
        <PageTitle>OAuth clients</PageTitle>
        <p>Viewing OAuth clients needs the /security/read/ permission.</p>
      </>
    );
  }
  return (
    <>
      <PageTitle>OAuth clients</PageTitle>
      <p>
        Machines that fetch tokens from Strongroom&apos;s token endpoint with the client credentials grant. A
        client&apos;s permissions come from roles holding an OAuthClientId claim for it on the Strongroom
        provider.
      </p>
      {issued === undefined ? null : <SecretNotice issued={issued} onDismiss={() => setIssued(undefined)} />}
      {clients.isLoading ? <Loading what="OAuth clients" /> : null}
      <ErrorMessage error={clients.error} />
      {clients.data === undefined ? null : clients.data.length === 0 ? (
        <p>No OAuth clients yet.</p>
      ) : (
        <table>
          <caption>OAuth clients</caption>
          <thead>
            <tr>
              <th scope="col">Client ID</th>
              <th scope="col">Description</th>
              <th scope="col">Status</th>
              <th scope="col">Changed</th>
              {canModify ? <th scope="col">Actions</th> : null}
            </tr>
          </thead>
          <tbody>
            {clients.data.map((client) => (
              <tr key={client.ClientId}>
                <td>{client.ClientId}</td>
                <td>{client.Description}</td>
                <td>{client.Enabled ? 'Enabled' : 'Disabled'}</td>
                <td>{formatTime(client.UpdatedAt)}</td>
                {canModify ? (
                  <td>
                    <ClientActions
                      client={client}
                      onChanged={clients.reload}
                      onRotated={(secret) =>
                        setIssued({ clientId: client.ClientId, secret, reason: 'rotated' })
                      }
                      onDeleted={() => {
                        if (issued?.clientId === client.ClientId) setIssued(undefined);
                        clients.reload();
                      }}
                    />
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {canModify ? (
        <CreateClient
          onCreated={(created) => {
            setIssued({ clientId: created.ClientId, secret: created.ClientSecret, reason: 'created' });
            clients.reload();
          }}
        />
      ) : null}
    </>
  );
}

function SecretNotice({ issued, onDismiss }: { issued: IssuedSecret; onDismiss: () => void }) {
  return (
    <section class="notice" aria-labelledby="issued-secret-title">
      <h2 id="issued-secret-title">
        {issued.reason === 'created' ? 'Client created' : 'Secret rotated'}: copy the secret now
      </h2>
      <p role="status">
        This is the only time the secret of <strong>{issued.clientId}</strong> is shown. Strongroom keeps only
        a hash of it; if it is lost, rotate it.
        {issued.reason === 'rotated' ? ' The previous secret no longer works.' : ''}
      </p>
      <p>
        Client secret: <code class="revealed">{issued.secret}</code>
      </p>
      <button type="button" onClick={onDismiss}>
        I have copied it
      </button>
    </section>
  );
}

function ClientActions(props: {
  client: OAuthClient;
  onChanged: () => void;
  onRotated: (secret: string) => void;
  onDeleted: () => void;
}) {
  const { client } = props;
  const toggle = useAction();
  return (
    <>
      <button
        type="button"
        disabled={toggle.isBusy}
        onClick={() =>
          void toggle
            .run(async () => {
              await call('updateOAuthClient', {
                params: { clientId: client.ClientId },
                body: { Enabled: !client.Enabled },
              });
            })
            .then((done) => done && props.onChanged())
        }
      >
        {client.Enabled ? `Disable ${client.ClientId}` : `Enable ${client.ClientId}`}
      </button>{' '}
      <ConfirmButton
        label={`Rotate secret of ${client.ClientId}`}
        question={`Replace the secret of ${client.ClientId}? The current one stops working at once.`}
        onConfirm={async () => {
          const rotated = await call<OAuthClientWithSecret>('rotateOAuthClientSecret', {
            params: { clientId: client.ClientId },
          });
          props.onRotated(rotated.data.ClientSecret);
        }}
      />{' '}
      <ConfirmButton
        label={`Delete ${client.ClientId}`}
        question={`Delete OAuth client ${client.ClientId}? Its tokens stop working at once.`}
        onConfirm={async () => {
          await call('deleteOAuthClient', { params: { clientId: client.ClientId } });
          props.onDeleted();
        }}
      />
      <ErrorMessage error={toggle.error} />
    </>
  );
}

function CreateClient(props: { onCreated: (created: OAuthClientWithSecret) => void }) {
  const [clientId, setClientId] = useState('');
  const [description, setDescription] = useState('');
  const action = useAction();
  return (
    <Section title="Create an OAuth client">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void action.run(async () => {
            const created = await call<OAuthClientWithSecret>('createOAuthClient', {
              body: { ClientId: clientId, Description: description },
            });
            setClientId('');
            setDescription('');
            props.onCreated(created.data);
          });
        }}
      >
        <Field
          label="Client ID"
          value={clientId}
          onInput={setClientId}
          required
          maxLength={128}
          hint="Letters, digits and . _ ~ - only."
        />
        <Field label="Description" value={description} onInput={setDescription} maxLength={512} />
        <ErrorMessage error={action.error} />
        <button type="submit" class="primary" disabled={action.isBusy}>
          Create client
        </button>
      </form>
    </Section>
  );
}
