import { useState } from 'preact/hooks';
import { call } from '../api/api-client.js';
import type { User } from '../api/api-types.js';
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

function groupsFrom(text: string): string[] {
  return text
    .split(',')
    .map((group) => group.trim())
    .filter((group) => group !== '');
}

export function UsersPage() {
  const { permissions, username } = useSignedIn();
  const canModify = permissions.can('/security/modify/');
  const users = useLoad(async () => (await call<User[]>('listUsers')).data, []);
  return (
    <>
      <PageTitle>Users</PageTitle>
      {users.isLoading ? <Loading what="users" /> : null}
      <ErrorMessage error={users.error} />
      {users.data === undefined ? null : (
        <table>
          <caption>Local users</caption>
          <thead>
            <tr>
              <th scope="col">Username</th>
              <th scope="col">Groups</th>
              <th scope="col">Created</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {users.data.map((user) => (
              <tr key={user.Id}>
                <td>{user.Username}</td>
                <td>{user.Groups.join(', ')}</td>
                <td>{formatTime(user.CreatedAt)}</td>
                <td>
                  {canModify ? <ChangePassword user={user} /> : null}{' '}
                  {canModify && user.Username !== username ? (
                    <ConfirmButton
                      label="Delete"
                      question={`Delete user ${user.Username}?`}
                      onConfirm={async () => {
                        await call('deleteUser', { params: { username: user.Username } });
                        users.reload();
                      }}
                    />
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {canModify ? <CreateUser onCreated={users.reload} /> : null}
    </>
  );
}

function ChangePassword({ user }: { user: User }) {
  const [isOpen, setOpen] = useState(false);
  const [password, setPassword] = useState('');
  const [isDone, setDone] = useState(false);
  const action = useAction();
  if (!isOpen) {
    return (
      <button type="button" onClick={() => setOpen(true)}>
        Change password
      </button>
    );
  }
  return (
    <form
      class="inline"
      onSubmit={(event) => {
        event.preventDefault();
        void action
          .run(async () => {
            await call('updateUser', {
              params: { username: user.Username },
              body: { Password: password, Groups: user.Groups },
            });
          })
          .then((done) => {
            setPassword('');
            setDone(done);
            if (done) setOpen(false);
          });
      }}
    >
      <Field
        label={`New password for ${user.Username}`}
        type="password"
        autoComplete="new-password"
        value={password}
        onInput={setPassword}
        required
        minLength={12}
      />
      <ErrorMessage error={action.error} />
      <button type="submit" disabled={action.isBusy}>
        Save password
      </button>{' '}
      <button type="button" onClick={() => setOpen(false)}>
        Cancel
      </button>
      {isDone ? <span role="status">Password changed; the user's sessions have ended.</span> : null}
    </form>
  );
}

function CreateUser(props: { onCreated: () => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [groups, setGroups] = useState('');
  const action = useAction();
  return (
    <Section title="Create a user">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void action
            .run(async () => {
              await call('createUser', {
                body: { Username: username, Password: password, Groups: groupsFrom(groups) },
              });
            })
            .then((done) => {
              setPassword('');
              if (done) {
                setUsername('');
                setGroups('');
                props.onCreated();
              }
            });
        }}
      >
        <Field label="New user's username" value={username} onInput={setUsername} required maxLength={128} />
        <Field
          label="Initial password"
          type="password"
          autoComplete="new-password"
          value={password}
          onInput={setPassword}
          required
          minLength={12}
          hint="At least 12 characters."
        />
        <Field label="Groups" value={groups} onInput={setGroups} hint="Comma-separated." />
        <ErrorMessage error={action.error} />
        <button type="submit" class="primary" disabled={action.isBusy}>
          Create user
        </button>
      </form>
    </Section>
  );
}
