/** The token endpoint's per-account URLs: the layout's own strings, built once, memory bounded. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { endpointOf, issuerOf } from '../../src/domain/endpoints.ts';
import { AccountUrlCache, MAX_URL_ACCOUNTS } from '../../src/service/token/account-urls.ts';

const BASE = 'https://auth.example.test';

it('gives each account its issuer, token endpoint and token audiences, built once', () => {
  const urls = new AccountUrlCache(BASE);
  const a = urls.of('A1');
  assert.equal(a.issuer, issuerOf(BASE, 'A1'));
  assert.equal(a.token, endpointOf(BASE, 'A1', 'token'));
  assert.deepEqual(a.tokenAudiences, [a.token, a.issuer]);
  assert.ok(Object.isFrozen(a.tokenAudiences), 'callers cannot add an audience');
  assert.equal(urls.of('A1'), a, 'the same object on the next request');
  assert.notEqual(urls.of('B2').issuer, a.issuer);
});

it('starts over past its bound instead of growing', () => {
  const urls = new AccountUrlCache(BASE);
  for (let i = 0; i < MAX_URL_ACCOUNTS + 5; i++) urls.of(`A${i}`);
  assert.ok(urls.size <= MAX_URL_ACCOUNTS, `${urls.size} entries`);
  assert.equal(urls.of('A3').issuer, issuerOf(BASE, 'A3'));
});
