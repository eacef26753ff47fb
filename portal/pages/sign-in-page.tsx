import { useState } from 'preact/hooks';
import { call } from '../api/api-client.js';
import type { SessionInfo } from '../api/api-types.js';
import { ErrorMessage, Field, useAction } from '../components/ui.js';

/** A way to sign in other than the password form: one button per enabled external identity provider. */
export interface ExternalSignIn {
  name: string;
  href: string;
}

/** Local users sign in with a password; each external identity provider adds a button below the form. */
export function SignInPage(props: { onSignedIn: () => void; externalSignIns?: readonly ExternalSignIn[] }) {
  const externalSignIns = props.externalSignIns ?? [];
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const action = useAction();
  const submit = (event: Event) => {
    event.preventDefault();
    void action
      .run(async () => {
        await call<SessionInfo>('signIn', { body: { Username: username, Password: password } });
      })
      .then((done) => {
        // The password leaves the page's memory as soon as it has been used.
        setPassword('');
        if (done) props.onSignedIn();
      });
  };
  return (
    <main class="sign-in" id="main">
      <h1>Strongroom</h1>
      <form onSubmit={submit} aria-labelledby="sign-in-heading">
        <h2 id="sign-in-heading">Sign in</h2>
        <Field label="Username" value={username} onInput={setUsername} autoComplete="username" required />
        <Field
          label="Password"
          type="password"
          value={password}
          onInput={setPassword}
          autoComplete="current-password"
          required
        />
        <ErrorMessage error={action.error} />
        <button type="submit" class="primary" disabled={action.isBusy}>
          {action.isBusy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      {externalSignIns.length === 0 ? null : (
        <ul class="identity-providers" aria-label="Other ways to sign in">
          {externalSignIns.map((option) => (
            <li key={option.href}>
              <a class="button" href={option.href}>
                Sign in with {option.name}
              </a>
            </li>
          ))}
        </ul>
      )}
    </main>
  );
}
