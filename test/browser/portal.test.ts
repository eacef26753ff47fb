import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { ensurePortalBuilt } from '../support/portal-bundle.js';
import type { Credentials, TestServer } from '../support/test-server.js';
import { adminCredentials, startTestServer } from '../support/test-server.js';

/**
 * The portal driven in Debian's Chromium, as a person uses it. A browser that cannot start fails these tests
 * rather than skipping them: CI installs it (.ci/run), and a silent skip would hide a broken portal.
 */
const chromiumPath = '/usr/bin/chromium';
const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const screenshotDirectory = join(import.meta.dirname, '..', '..', 'docs', 'screenshots');
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

await ensurePortalBuilt();

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

describe('the portal in a real browser [sqlite]', () => {
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  let baseUrl = '';
  const contexts: BrowserContext[] = [];
  /** Everything any page wrote to its console, and every uncaught error. */
  const consoleLines: string[] = [];
  /** Secret values typed into the portal; none may show up in a page, its storage or its console. */
  const secrets: string[] = [];
  const secret = (label: string) => {
    const value = `Portal-${label}-${Math.random().toString(36).slice(2)}-canary`;
    secrets.push(value);
    return value;
  };

  const api = (method: string, url: string, body?: unknown, as: Credentials = adminCredentials) => {
    if (server === undefined) throw new Error('no server');
    return server.request(method, url, { as, ...(body === undefined ? {} : { body }) });
  };

  async function openPage(options: { clock?: boolean } = {}): Promise<Page> {
    if (browser === undefined) throw new Error('the browser did not start');
    const context = await browser.newContext({ baseURL: baseUrl, viewport: { width: 1280, height: 800 } });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    if (options.clock === true) await page.clock.install();
    page.on('console', (message) => consoleLines.push(message.text()));
    page.on('pageerror', (error) => consoleLines.push(`page error: ${error.message}`));
    return page;
  }

  async function signIn(page: Page, credentials: Credentials): Promise<void> {
    await page.goto('/');
    await page.getByLabel('Username').fill(credentials.username);
    await page.getByLabel('Password', { exact: true }).fill(credentials.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
  }

  async function goTo(page: Page, link: string, heading: string): Promise<void> {
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: link, exact: true })
      .click();
    await page.getByRole('heading', { level: 1, name: heading }).waitFor();
    await page
      .getByText(/^Loading/)
      .first()
      .waitFor({ state: 'detached' });
  }

  /** An axe-core scan of the page as it is now: no serious or critical violation is allowed. */
  async function assertAccessible(page: Page, name: string): Promise<void> {
    await page.evaluate(axeSource);
    const violations = await page.evaluate<AxeViolation[]>(
      `axe.run(document, { resultTypes: ['violations'] }).then((result) => result.violations.map((violation) => ({
        id: violation.id, impact: violation.impact, help: violation.help,
        targets: violation.nodes.map((node) => String(node.target)) })))`,
    );
    const serious = violations.filter(
      (violation) => violation.impact === 'serious' || violation.impact === 'critical',
    );
    assert.deepEqual(serious, [], `accessibility violations on ${name}`);
  }

  async function screenshot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: join(screenshotDirectory, `${name}.png`), fullPage: true });
  }

  /** No typed secret may be in the page's DOM, its storage, or (checked at the end) its console. */
  async function assertNoSecretsIn(page: Page): Promise<void> {
    const html = await page.content();
    const storage = await page.evaluate<string>(
      'JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage } })',
    );
    for (const value of secrets) {
      assert.ok(!html.includes(value), `a secret value is in the DOM of ${page.url()}`);
      assert.ok(!storage.includes(value), 'a secret value is in web storage');
    }
  }

  before(async () => {
    server = await startTestServer('sqlite');
    baseUrl = await server.server.app.listen({ host: '127.0.0.1', port: 0 });
    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
  });

  after(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await server?.close();
  });

  test('signs in and out; the cookie is refused without the header and after sign-out', async () => {
    const page = await openPage();
    await page.goto('/');
    assert.match(page.url(), /\/portal\/$/);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await screenshot(page, 'sign-in');
    await assertAccessible(page, 'the sign-in page');
    // The keyboard reaches the form, and focus is visible where it lands.
    await page.keyboard.press('Tab');
    const focused = await page.evaluate<{ id: string; outline: string }>(
      '({ id: document.activeElement.id, outline: getComputedStyle(document.activeElement).outlineStyle })',
    );
    assert.equal(focused.id, await page.getByLabel('Username').getAttribute('id'));
    assert.equal(focused.outline, 'solid');

    await page.getByLabel('Username').fill(adminCredentials.username);
    await page.getByLabel('Password', { exact: true }).fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'the user name or password is not valid' }).waitFor();

    await signIn(page, adminCredentials);
    for (const name of [
      'PAM providers',
      'Certificate stores',
      'Containers',
      'Store types',
      'Roles',
      'Users',
      'Audit log',
    ]) {
      assert.equal(await page.getByRole('link', { name, exact: true }).count(), 1, name);
    }
    const cookie = (await page.context().cookies()).find((item) => item.name === 'strongroom_session');
    assert.ok(cookie !== undefined);
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.equal(await page.evaluate('document.cookie'), '', 'page scripts cannot read the session cookie');

    const withCookie = (headers: Record<string, string>) =>
      fetch(`${baseUrl}/strongroom/session`, {
        headers: { cookie: `${cookie.name}=${cookie.value}`, ...headers },
      });
    assert.equal((await withCookie({})).status, 400, 'a cookie without the header is refused');
    assert.equal((await withCookie({ 'x-keyfactor-requested-with': 'XMLHttpRequest' })).status, 200);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    assert.equal((await withCookie({ 'x-keyfactor-requested-with': 'XMLHttpRequest' })).status, 401);
  });

  test('the life of a provider and an entry: create, new value, history, restore, and a conflicting change shown', async () => {
    const page = await openPage();
    await signIn(page, adminCredentials);
    await assertAccessible(page, 'the dashboard');

    await goTo(page, 'PAM providers', 'PAM providers');
    await page.getByLabel('Name', { exact: true }).fill('lab-local');
    await page.getByLabel('Provider type').selectOption({ label: 'LocalDB' });
    await page.getByRole('button', { name: 'Create provider' }).click();
    await page.getByRole('heading', { level: 1, name: 'PAM provider lab-local' }).waitFor();

    const firstValue = secret('first');
    await page.getByLabel('Secret name').fill('db-password');
    await page.getByLabel('Secret value').fill(firstValue);
    await page.getByLabel('Description').fill('first');
    await page.getByRole('button', { name: 'Create entry' }).click();
    await page.getByRole('heading', { level: 1, name: 'Entry db-password' }).waitFor();
    await assertNoSecretsIn(page);

    await page.getByLabel('New secret value').fill(secret('second'));
    await page.getByRole('button', { name: 'Set new value' }).click();
    await page.getByRole('cell', { name: '2 (current)' }).waitFor();
    await page.getByLabel('Description').fill('second');
    await page.getByRole('button', { name: 'Save description' }).click();
    await page.getByRole('cell', { name: '3 (current)' }).waitFor();
    await page.getByRole('button', { name: 'Restore version 1' }).click();
    await page.getByRole('cell', { name: '4 (current)' }).waitFor();
    assert.equal(await page.getByLabel('Description').inputValue(), 'first');
    await assertNoSecretsIn(page);

    // Someone else changes the entry while the page shows version 4.
    const elsewhere = await api('PUT', '/KeyfactorAPI/PamProviders/Local/1/Entries/db-password', {
      SecretName: 'db-password',
      Description: 'changed elsewhere',
    });
    assert.equal(elsewhere.status, 200);
    await page.getByLabel('Description').fill('mine');
    await page.getByRole('button', { name: 'Save description' }).click();
    await page.getByRole('alert').filter({ hasText: 'Not saved: admin changed this entry' }).waitFor();
    const kept = await api('GET', '/strongroom/pam-providers/1/entries/db-password');
    assert.equal((kept.body as { Description: string }).Description, 'changed elsewhere');
    await page.getByRole('button', { name: 'Restore version 2' }).click();
    await page
      .locator('section')
      .filter({ has: page.getByRole('heading', { name: 'Version history' }) })
      .getByRole('alert')
      .filter({ hasText: 'Not saved: admin changed this entry' })
      .waitFor();

    await page.reload();
    await page.getByRole('cell', { name: '5 (current)' }).waitFor();
    await screenshot(page, 'entry');
    await assertAccessible(page, 'the entry page');
    await page.getByRole('link', { name: 'Back to the provider' }).click();
    await page.getByRole('link', { name: 'db-password' }).waitFor();
    await screenshot(page, 'provider');
    await assertAccessible(page, 'the provider page');
    await goTo(page, 'PAM providers', 'PAM providers');
    await screenshot(page, 'providers');
    await assertAccessible(page, 'the providers page');
    await assertNoSecretsIn(page);

    // A provider with a secret parameter: edited later, the stored secret is kept unless a new one is typed.
    await page.getByLabel('Name', { exact: true }).fill('lab-vault');
    await page.getByLabel('Provider type').selectOption({ label: 'Hashicorp-Vault' });
    await page.getByLabel('Vault Host').fill('https://vault.example:8200');
    await page.getByLabel('Vault Token').fill(secret('vault-token'));
    await page.getByLabel('KV Engine Path').fill('secret');
    await page.getByRole('button', { name: 'Create provider' }).click();
    await page.getByRole('heading', { level: 1, name: 'PAM provider lab-vault' }).waitFor();
    await page
      .getByRole('definition')
      .filter({ hasText: /^Set \(hidden\)$/ })
      .waitFor();
    await page.getByLabel('Vault Host').fill('https://vault2.example:8200');
    await page.getByRole('button', { name: 'Save provider' }).click();
    await page
      .getByRole('definition')
      .filter({ hasText: /^https:\/\/vault2\.example:8200$/ })
      .waitFor();
    await page
      .getByRole('definition')
      .filter({ hasText: /^Set \(hidden\)$/ })
      .waitFor();
    await assertAccessible(page, 'a provider page with parameters');
    await assertNoSecretsIn(page);
  });

  test('a store password in its three forms, and a reveal that hides itself after 30 seconds', async () => {
    const page = await openPage({ clock: true });
    await signIn(page, adminCredentials);
    await goTo(page, 'Containers', 'Containers');
    await page.getByLabel('Container name').fill('web-servers');
    await page.getByLabel('Store type').selectOption({ label: 'Java Keystore' });
    await page.getByRole('button', { name: 'Create container' }).click();
    await page.getByRole('cell', { name: 'web-servers' }).waitFor();
    await page.getByLabel('Container name').fill('web-servers-2');
    await page.getByRole('button', { name: 'Create container' }).click();
    await page.getByRole('cell', { name: 'web-servers-2' }).waitFor();
    await screenshot(page, 'containers');
    await assertAccessible(page, 'the containers page');

    await goTo(page, 'Certificate stores', 'Certificate stores');
    await page.getByLabel('Client machine').fill('web01.example.com');
    await page.getByLabel('Store path').fill('/etc/ssl/web01.jks');
    await page.getByLabel('Store type').selectOption({ label: 'Java Keystore' });
    await page.getByLabel('Container', { exact: true }).last().selectOption({ label: 'web-servers' });
    await page.getByRole('button', { name: 'Create store' }).click();
    await page.getByRole('heading', { level: 1, name: /^Certificate store web01/ }).waitFor();

    const storePassword = secret('store');
    await page.getByLabel('Store password').fill(storePassword);
    await page.getByRole('button', { name: 'Save password' }).click();
    await page
      .getByRole('definition')
      .filter({ hasText: /^Stored value$/ })
      .waitFor();
    await assertNoSecretsIn(page);

    await page.getByRole('button', { name: 'Reveal password' }).click();
    await page.getByRole('button', { name: 'Yes, reveal it' }).click();
    await page.locator('.revealed').filter({ hasText: storePassword }).waitFor();
    await page.clock.fastForward(30_000);
    await page.locator('.revealed').waitFor({ state: 'detached' });
    await assertNoSecretsIn(page);
    const reveals = await api(
      'GET',
      `/KeyfactorAPI/Audit?QueryString=${encodeURIComponent('Category -eq "Secret Resolution"')}`,
    );
    assert.equal((reveals.body as unknown[]).length, 1, 'the reveal is audited');

    await page.getByLabel('A PAM reference').check();
    await page.getByLabel('PAM provider').selectOption({ label: 'lab-local' });
    await page.getByLabel('Secret Name').fill('db-password');
    await page.getByRole('button', { name: 'Save password' }).click();
    await page.getByText(/^PAM reference to lab-local/).waitFor();
    await page.getByText('SecretName: db-password').waitFor();
    await page.getByLabel('New container').selectOption({ label: 'web-servers-2' });
    await page.getByRole('button', { name: 'Move store' }).click();
    await page
      .getByRole('definition')
      .filter({ hasText: /^web-servers-2$/ })
      .waitFor();
    await screenshot(page, 'store');
    await assertAccessible(page, 'the store page');

    await page.getByLabel('No password').check();
    await page.getByRole('button', { name: 'Save password' }).click();
    await page
      .getByRole('definition')
      .filter({ hasText: /^No password$/ })
      .waitFor();

    await goTo(page, 'Certificate stores', 'Certificate stores');
    await page.getByRole('link', { name: 'web01.example.com - /etc/ssl/web01.jks' }).waitFor();
    await screenshot(page, 'stores');
    await assertAccessible(page, 'the stores page');
    await goTo(page, 'Store types', 'Store types');
    await assertAccessible(page, 'the store types page');
    await goTo(page, 'Audit log', 'Audit log');
    await page.getByRole('button', { name: 'Check the whole chain' }).click();
    await page.getByText(/^Intact: \d+ entries checked\.$/).waitFor();
    const newest = page.getByRole('button', { name: /^Open entry \d+$/ }).first();
    const entryId = ((await newest.textContent()) ?? '').replace(/\D/g, '');
    await newest.click();
    await page.getByRole('button', { name: `Validate entry ${entryId}` }).click();
    await page.getByText('Valid: the signature matches').waitFor();
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download CSV' }).click();
    assert.equal((await download).suggestedFilename(), 'audit-log.csv');
    await screenshot(page, 'audit-log');
    await assertAccessible(page, 'the audit log');
  });

  test('a role with a scoped grant gives its user exactly that provider', async () => {
    const hidden = await api('POST', '/KeyfactorAPI/PamProviders', {
      Name: 'hidden-provider',
      ProviderType: { Id: 'faf6af1d-09fb-482c-acdd-e49be0183668' },
      ProviderTypeParamValues: [],
    });
    assert.equal(hidden.status, 200);
    const page = await openPage();
    await signIn(page, adminCredentials);
    const password = secret('scoped-user');
    await goTo(page, 'Users', 'Users');
    await page.getByLabel("New user's username").fill('scoped-user');
    await page.getByLabel('Initial password').fill(password);
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.getByRole('cell', { name: 'scoped-user', exact: true }).waitFor();
    await screenshot(page, 'users');
    await assertAccessible(page, 'the users page');

    await goTo(page, 'Roles', 'Roles');
    await page.getByLabel('Role name').fill('lab-readers');
    await page.getByLabel('Claim value').fill('scoped-user');
    await page.getByRole('button', { name: 'Create role' }).click();
    await page.getByRole('heading', { level: 1, name: 'Role lab-readers' }).waitFor();
    await page.getByLabel('Provider', { exact: true }).selectOption({ label: 'lab-local' });
    await page.getByRole('button', { name: 'Grant on provider' }).click();
    await page.getByText('lab-local: Read').waitFor();
    // The provider grant is one of the role's permission strings; editing the list keeps it.
    const permissionList = page.getByLabel('Role permissions');
    await page
      .getByRole('definition')
      .filter({ hasText: /^\/pam\/read\/1\/$/ })
      .waitFor();
    assert.equal(await permissionList.inputValue(), '/pam/read/1/');
    await permissionList.fill('/pam/read/1/\n/certificate_stores/read/');
    await page.getByRole('button', { name: 'Save permissions and claims' }).click();
    const saved = page.getByRole('definition').filter({ hasText: '/certificate_stores/read/' });
    await saved.waitFor();
    assert.match((await saved.textContent()) ?? '', /\/pam\/read\/1\//);
    await screenshot(page, 'role');
    await assertAccessible(page, 'the role page');
    await goTo(page, 'Roles', 'Roles');
    await assertAccessible(page, 'the roles page');

    const scoped = await openPage();
    await signIn(scoped, { username: 'scoped-user', password });
    await goTo(scoped, 'PAM providers', 'PAM providers');
    await scoped.getByRole('link', { name: 'lab-local' }).waitFor();
    assert.equal(await scoped.getByText('hidden-provider').count(), 0);
    assert.equal(await scoped.getByRole('button', { name: 'Delete' }).count(), 0);
    await goTo(scoped, 'Certificate stores', 'Certificate stores');
    await scoped.getByRole('link', { name: /^web01/ }).waitFor();
    await goTo(scoped, 'OAuth clients', 'OAuth clients');
    await scoped.getByText('Viewing OAuth clients needs the /security/read/ permission.').waitFor();
    assert.equal(await scoped.getByRole('button', { name: 'Create client' }).count(), 0);
    await assertNoSecretsIn(scoped);
  });

  test('OAuth clients: a secret shown once, then gone from the page; disable, rotate and delete', async () => {
    if (server === undefined) throw new Error('no server');
    const testServer = server;
    const tokenStatus = async (clientId: string, clientSecret: string) =>
      (
        await testServer.request('POST', '/strongroom/oauth/token', {
          as: null,
          rawBody: new URLSearchParams({
            grant_type: 'client_credentials',
            client_id: clientId,
            client_secret: clientSecret,
          }).toString(),
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        })
      ).status;
    const page = await openPage();
    await signIn(page, adminCredentials);
    await goTo(page, 'OAuth clients', 'OAuth clients');
    await page.getByText('No OAuth clients yet.').waitFor();
    await page.getByLabel('Client ID').fill('terraform');
    await page.getByLabel('Description').fill('CI pipeline');
    await page.getByRole('button', { name: 'Create client' }).click();
    await page.getByRole('heading', { level: 2, name: 'Client created: copy the secret now' }).waitFor();
    await page.getByRole('cell', { name: 'terraform', exact: true }).waitFor();
    const issued = (await page.locator('.notice code.revealed').textContent()) ?? '';
    assert.ok(issued.length >= 32, 'the secret is shown');
    secrets.push(issued);
    assert.equal(await tokenStatus('terraform', issued), 200, 'the shown secret is the real one');
    await assertAccessible(page, 'the OAuth clients page with a new secret');
    // The secret was in the page (so the check below can fail); leaving the page takes it away.
    assert.ok((await page.content()).includes(issued));
    await goTo(page, 'Users', 'Users');
    await assertNoSecretsIn(page);
    await goTo(page, 'OAuth clients', 'OAuth clients');
    await page.getByRole('cell', { name: 'terraform', exact: true }).waitFor();
    assert.equal(await page.locator('.notice').count(), 0);
    await assertNoSecretsIn(page);
    await screenshot(page, 'oauth-clients');

    await page.getByRole('button', { name: 'Disable terraform' }).click();
    await page.getByRole('cell', { name: 'Disabled', exact: true }).waitFor();
    assert.notEqual(await tokenStatus('terraform', issued), 200, 'a disabled client gets no token');
    await page.getByRole('button', { name: 'Enable terraform' }).click();
    await page.getByRole('cell', { name: 'Enabled', exact: true }).waitFor();

    await page.getByRole('button', { name: 'Rotate secret of terraform' }).click();
    await page.getByRole('button', { name: 'Yes, rotate secret of terraform' }).click();
    await page.getByRole('heading', { level: 2, name: 'Secret rotated: copy the secret now' }).waitFor();
    const rotated = (await page.locator('.notice code.revealed').textContent()) ?? '';
    secrets.push(rotated);
    assert.notEqual(rotated, issued);
    assert.notEqual(await tokenStatus('terraform', issued), 200, 'the old secret stops working');
    assert.equal(await tokenStatus('terraform', rotated), 200);
    await page.getByRole('button', { name: 'I have copied it' }).click();
    await page.locator('.notice').waitFor({ state: 'detached' });
    await assertNoSecretsIn(page);

    await page.getByRole('button', { name: 'Delete terraform' }).click();
    await page.getByRole('button', { name: 'Yes, delete terraform' }).click();
    await page.getByText('No OAuth clients yet.').waitFor();
    assert.notEqual(await tokenStatus('terraform', rotated), 200, 'a deleted client gets no token');
    await assertAccessible(page, 'the OAuth clients page');
    await assertNoSecretsIn(page);
    const audited = await api('GET', '/KeyfactorAPI/Audit?ReturnLimit=200');
    for (const value of [issued, rotated])
      assert.ok(!audited.text.includes(value), 'a secret in the audit log');
  });

  test('a read-only user sees no edit controls, and a change they craft is refused', async () => {
    if (server === undefined) throw new Error('no server');
    const reader = await server.createUser('read-only', [
      '/pam/read/',
      '/certificate_stores/read/',
      '/security/read/',
      '/auditing/read/',
    ]);
    const page = await openPage();
    await signIn(page, reader);
    await goTo(page, 'PAM providers', 'PAM providers');
    await page.getByRole('link', { name: 'lab-local' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Delete' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Create provider' }).count(), 0);
    await page.getByRole('link', { name: 'lab-local' }).click();
    await page.getByRole('link', { name: 'db-password' }).click();
    await page.getByRole('heading', { level: 1, name: 'Entry db-password' }).waitFor();
    await page.getByRole('cell', { name: '5 (current)' }).waitFor();
    for (const name of ['Set new value', 'Save description', 'Restore version 1']) {
      assert.equal(await page.getByRole('button', { name }).count(), 0, name);
    }
    await goTo(page, 'Certificate stores', 'Certificate stores');
    await page.getByRole('link', { name: /^web01/ }).click();
    await page.getByRole('heading', { level: 1, name: /^Certificate store web01/ }).waitFor();
    for (const name of ['Save password', 'Reveal password', 'Delete store']) {
      assert.equal(await page.getByRole('button', { name }).count(), 0, name);
    }
    await goTo(page, 'Users', 'Users');
    assert.equal(await page.getByRole('button', { name: 'Create user' }).count(), 0);
    await api('POST', '/strongroom/oauth/clients', { ClientId: 'read-only-view' });
    await goTo(page, 'OAuth clients', 'OAuth clients');
    await page.getByRole('cell', { name: 'read-only-view', exact: true }).waitFor();
    for (const name of ['Create client', 'Disable read-only-view', 'Rotate secret of read-only-view']) {
      assert.equal(await page.getByRole('button', { name }).count(), 0, name);
    }

    const crafted = await page.evaluate<number>(`fetch('/KeyfactorAPI/PamProviders', {
      method: 'POST',
      headers: { 'x-keyfactor-requested-with': 'XMLHttpRequest', 'content-type': 'application/json' },
      body: JSON.stringify({ Name: 'crafted', ProviderType: { Id: 'faf6af1d-09fb-482c-acdd-e49be0183668' } }),
    }).then((response) => response.status)`);
    assert.equal(crafted, 403);
    const providers = await api('GET', '/KeyfactorAPI/PamProviders');
    assert.ok(!providers.text.includes('crafted'));
  });

  test('names made of HTML and script are shown as text and run nothing', async () => {
    const hostile = '<img src=x onerror="globalThis.__portalXss=1">';
    const provider = await api('POST', '/KeyfactorAPI/PamProviders', {
      Name: hostile,
      ProviderType: { Id: 'faf6af1d-09fb-482c-acdd-e49be0183668' },
      ProviderTypeParamValues: [],
    });
    assert.equal(provider.status, 200);
    const providerId = (provider.body as { Id: number }).Id;
    const entry = await api('POST', `/KeyfactorAPI/PamProviders/Local/${providerId}/Entries`, {
      SecretName: hostile,
      SecretValue: secret('hostile-entry'),
      Description: '<script>globalThis.__portalXss=2</script>',
    });
    assert.equal(entry.status, 200);

    const page = await openPage();
    await signIn(page, adminCredentials);
    await page.getByText('Intact', { exact: true }).waitFor();
    await page
      .getByText(/^Loading/)
      .first()
      .waitFor({ state: 'detached' });
    await screenshot(page, 'dashboard');
    await goTo(page, 'PAM providers', 'PAM providers');
    await page.getByRole('link', { name: hostile }).click();
    await page.getByRole('link', { name: hostile }).click();
    await page.getByRole('heading', { level: 1, name: `Entry ${hostile}` }).waitFor();
    await page.getByText('<script>globalThis.__portalXss=2</script>').first().waitFor();
    assert.equal(await page.evaluate('globalThis.__portalXss'), undefined);
    assert.equal(await page.locator('img, main script').count(), 0);
    await assertNoSecretsIn(page);
  });

  test('no secret value reached any page console', () => {
    for (const value of secrets) {
      assert.ok(!consoleLines.some((line) => line.includes(value)), 'a secret value is in a console');
    }
    assert.deepEqual(
      consoleLines.filter((line) => /Content Security Policy|page error/.test(line)),
      [],
      'no page error and no CSP violation',
    );
  });
});
