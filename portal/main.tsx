import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { call, whenSessionEnds } from './api/api-client.js';
import type { SessionInfo, SignInProvider } from './api/api-types.js';
import { permissionsFrom } from './api/permissions.js';
import { href, useHashRoute } from './components/hash-route.js';
import type { SignedIn } from './components/session-context.js';
import { SessionContext } from './components/session-context.js';
import { ErrorMessage, Loading, useAction } from './components/ui.js';
import { AuditPage } from './pages/audit-page.js';
import { ContainersPage } from './pages/containers-page.js';
import { DashboardPage } from './pages/dashboard-page.js';
import { EntryPage } from './pages/entry-page.js';
import { OAuthClientsPage } from './pages/oauth-clients-page.js';
import { ProviderPage } from './pages/provider-page.js';
import { ProvidersPage } from './pages/providers-page.js';
import { RolePage, RolesPage } from './pages/roles-page.js';
import type { ExternalSignIn } from './pages/sign-in-page.js';
import { SignInPage } from './pages/sign-in-page.js';
import { StorePage, StoresPage } from './pages/stores-page.js';
import { StoreTypesPage } from './pages/store-types-page.js';
import { UsersPage } from './pages/users-page.js';
import './styles.css';

const navigation = [
  { section: 'providers', label: 'PAM providers' },
  { section: 'stores', label: 'Certificate stores' },
  { section: 'containers', label: 'Containers' },
  { section: 'store-types', label: 'Store types' },
  { section: 'roles', label: 'Roles' },
  { section: 'users', label: 'Users' },
  { section: 'oauth-clients', label: 'OAuth clients' },
  { section: 'audit', label: 'Audit log' },
] as const;

async function loadSession(): Promise<SignedIn> {
  const [session, grants] = await Promise.all([
    call<SessionInfo>('currentSession'),
    call<{ Permissions: string[] }>('myPermissions'),
  ]);
  return { username: session.data.Username, permissions: permissionsFrom(grants.data.Permissions) };
}

function Routed({ parts }: { parts: string[] }) {
  const [section, id, sub, subId] = parts;
  switch (section) {
    case undefined:
      return <DashboardPage />;
    case 'providers':
      if (id === undefined) return <ProvidersPage />;
      if (sub === 'entries' && subId !== undefined)
        return <EntryPage providerId={Number(id)} secretName={subId} />;
      return <ProviderPage providerId={Number(id)} />;
    case 'stores':
      return id === undefined ? <StoresPage /> : <StorePage storeId={id} />;
    case 'containers':
      return <ContainersPage />;
    case 'store-types':
      return <StoreTypesPage />;
    case 'roles':
      return id === undefined ? <RolesPage /> : <RolePage roleId={Number(id)} />;
    case 'users':
      return <UsersPage />;
    case 'oauth-clients':
      return <OAuthClientsPage />;
    case 'audit':
      return <AuditPage />;
    default:
      return (
        <>
          <h1>Page not found</h1>
          <p>
            <a href={href()}>Back to the dashboard</a>
          </p>
        </>
      );
  }
}

function App() {
  const [session, setSession] = useState<SignedIn | undefined>(undefined);
  const [state, setState] = useState<'checking' | 'signed-out' | 'signed-in'>('checking');
  const parts = useHashRoute();
  const signOut = useAction();
  const [externalSignIns, setExternalSignIns] = useState<readonly ExternalSignIn[]>([]);

  const refresh = () => {
    loadSession().then(
      (signedIn) => {
        setSession(signedIn);
        setState('signed-in');
      },
      () => {
        setSession(undefined);
        setState('signed-out');
        // Without the list the password form still works, so a failure here shows no error.
        call<SignInProvider[]>('signInProviders').then(
          ({ data }) =>
            setExternalSignIns(
              data.map((provider) => ({
                name: provider.DisplayName,
                href: `/strongroom/session/external/${encodeURIComponent(provider.AuthenticationScheme)}`,
              })),
            ),
          () => setExternalSignIns([]),
        );
      },
    );
  };
  useEffect(() => {
    whenSessionEnds(() => {
      setSession(undefined);
      setState('signed-out');
    });
    refresh();
  }, []);

  if (state === 'checking') return <Loading what="your session" />;
  if (state === 'signed-out' || session === undefined)
    return <SignInPage onSignedIn={refresh} externalSignIns={externalSignIns} />;
  const current = parts[0];
  return (
    <SessionContext.Provider value={session}>
      <header class="top">
        <a class="brand" href={href()}>
          Strongroom
        </a>
        <nav aria-label="Main">
          <ul>
            {navigation.map((item) => (
              <li key={item.section}>
                <a href={href(item.section)} aria-current={current === item.section ? 'page' : undefined}>
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span>Signed in as {session.username}</span>{' '}
          <button
            type="button"
            disabled={signOut.isBusy}
            onClick={() =>
              void signOut
                .run(async () => {
                  await call('signOut');
                })
                .then((done) => {
                  if (done) {
                    setSession(undefined);
                    setState('signed-out');
                    window.location.hash = '';
                  }
                })
            }
          >
            Sign out
          </button>
          <ErrorMessage error={signOut.error} />
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Routed parts={parts} />
      </main>
    </SessionContext.Provider>
  );
}

const root = document.getElementById('app');
if (root !== null) render(<App />, root);
