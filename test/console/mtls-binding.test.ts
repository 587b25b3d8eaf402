/** The console's integration pages: the mTLS binding (RFC 8705) shown, set, changed, refused. */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { Browser, type ConsoleFixture, consoleFixture, signIn } from './support.ts';

let f: ConsoleFixture;
let b: Browser;
before(async () => {
  f = await consoleFixture();
  b = new Browser(f.app);
  await signIn(b, f.clock, f.admin.email, f.admin.password);
});
after(() => f.close());

const byName = async (name: string) =>
  (await f.store.integrations.list(f.admin.accountId)).find((i) => i.name === name);

it('creates with a binding, shows it in the list and the edit form, changes it', async () => {
  const form = await b.get('/console/integrations/new');
  assert.match(form.body, /<select name="mtls_binding">/);
  assert.match(form.body, /<option value="off" selected>/);
  const created = await b.post('/console/integrations', {
    name: 'Bound App',
    state: 'enabled',
    m2m: '1',
    scope: ['restlets'],
    mtls_binding: 'required',
  });
  assert.equal(created.statusCode, 303);
  const made = await byName('Bound App');
  assert.equal(made?.mtlsBinding, 'required');

  const list = await b.get('/console/integrations');
  assert.match(list.body, /<th>mTLS binding<\/th>/);
  assert.match(list.body, /Bound App<\/td>[\s\S]*?<td class="nowrap">Required<\/td>/);

  const edit = await b.get(`/console/integrations/${made?.id}/edit`);
  assert.match(edit.body, /<option value="required" selected>/);
  const saved = await b.post(`/console/integrations/${made?.id}`, {
    name: 'Bound App',
    state: 'enabled',
    m2m: '1',
    scope: ['restlets'],
    mtls_binding: 'allowed',
  });
  assert.equal(saved.statusCode, 303);
  assert.equal((await byName('Bound App'))?.mtlsBinding, 'allowed');
});

it('refuses an unknown mode with the service message and keeps the record', async () => {
  await b.get('/console/integrations/new');
  await b.post('/console/integrations', { name: 'Kept', state: 'enabled' });
  const kept = await byName('Kept');
  await b.get(`/console/integrations/${kept?.id}/edit`);
  const res = await b.post(`/console/integrations/${kept?.id}`, {
    name: 'Kept',
    state: 'enabled',
    mtls_binding: 'always',
  });
  assert.equal(res.statusCode, 400);
  assert.match(res.body, /unknown mTLS binding &quot;always&quot;: use off, allowed, required/);
  assert.equal((await byName('Kept'))?.mtlsBinding, 'off');
});
