import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isAllowedProviderUrl } from './provider-discovery.js';

test('an identity provider is reached over https, or over http only on a loopback address', () => {
  for (const url of [
    'https://sso.example.com/realms/corp',
    'http://127.0.0.1:8443',
    'http://127.8.9.10/issuer',
    'http://localhost:3000',
    'http://[::1]:9000',
  ]) {
    assert.equal(isAllowedProviderUrl(url), true, url);
  }
  for (const url of [
    'http://sso.example.com',
    'http://10.0.0.1',
    'http://localhost.example.com',
    'http://127.0.0.1.example.com',
    'ftp://sso.example.com',
    'https://user:pass@sso.example.com',
    'https://sso.example.com/#fragment',
    'not a url',
    '',
  ]) {
    assert.equal(isAllowedProviderUrl(url), false, url);
  }
});
