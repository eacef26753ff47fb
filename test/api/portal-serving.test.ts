import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apiOperations } from '../../portal/api/api-operations.js';
import { ensurePortalBuilt } from '../support/portal-bundle.js';
import { describeEachDialect } from '../support/test-server.js';

await ensurePortalBuilt();

describeEachDialect('portal serving', (server) => {
  const get = (url: string) => server().request('GET', url, { as: null, headers: {} });

  test('GET / sends the browser to the portal', async () => {
    const response = await get('/');
    assert.equal(response.status, 302);
    assert.equal(response.headers.location, '/portal/');
  });

  test('the page is served with a strict CSP and the headers a security review expects, never cached', async () => {
    const response = await get('/portal/');
    assert.equal(response.status, 200);
    assert.match(String(response.headers['content-type']), /^text\/html/);
    assert.equal(response.headers['cache-control'], 'no-cache');
    const csp = String(response.headers['content-security-policy']);
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self';/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
    assert.equal(response.headers['x-content-type-options'], 'nosniff');
    assert.equal(response.headers['x-frame-options'], 'DENY');
    assert.equal(response.headers['referrer-policy'], 'no-referrer');
    assert.equal(response.headers['cross-origin-opener-policy'], 'same-origin');
    // No inline script (the CSP would block it) and nothing loaded from another host.
    assert.doesNotMatch(response.text, /<script(?![^>]*\ssrc=)[^>]*>/);
    assert.doesNotMatch(response.text, /(src|href)="(https?:)?\/\//);
  });

  test('hashed assets are cached for a year with their content type; unknown ones are a 404', async () => {
    const page = await get('/portal/');
    const assets = [...page.text.matchAll(/\/portal\/assets\/[^"]+/g)].map((match) => match[0]);
    assert.equal(assets.length, 3, 'a script, a style sheet and an icon');
    for (const asset of assets) {
      const response = await get(asset);
      assert.equal(response.status, 200, asset);
      assert.equal(response.headers['cache-control'], 'public, max-age=31536000, immutable');
      assert.equal(response.headers['x-content-type-options'], 'nosniff');
      assert.match(asset, /-[A-Za-z0-9]{8,}\.(js|css|svg)$/);
    }
    for (const missing of [
      '/portal/assets/nothing.js',
      '/portal/assets/..%2F..%2Fpackage.json',
      '/portal/assets/',
    ]) {
      const response = await get(missing);
      assert.equal(response.status, 404, missing);
      assert.equal(typeof (response.body as { Message: unknown }).Message, 'string');
    }
  });

  test('every endpoint the portal calls exists in the served OpenAPI document', async () => {
    const response = await server().request('GET', '/KeyfactorAPI/swagger/openapi.json', { as: null });
    assert.equal(response.status, 200);
    const paths = (response.body as { paths: Record<string, Record<string, unknown>> }).paths;
    const missing = Object.entries(apiOperations)
      .filter(([, operation]) => paths[operation.path]?.[operation.method.toLowerCase()] === undefined)
      .map(([name, operation]) => `${name}: ${operation.method} ${operation.path}`);
    assert.deepEqual(missing, []);
  });
});
