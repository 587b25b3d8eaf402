/**
 * The console's integration pages and the DPoP mode: chosen on the form, shown on the created
 * page and in the list, changed on edit; an unknown mode is refused with the service's message.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Browser, type ConsoleFixture, consoleFixture, signIn } from './support.ts';

describe('console integration DPoP mode', () => {
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

  it('creates with DPoP required, shows it, and edits it to allowed', async () => {
    const form = await b.get('/console/integrations/new');
    assert.match(form.body, /<select name="dpop">/);
    assert.match(form.body, /<option value="off" selected>/);
    const created = await b.post('/console/integrations', {
      name: 'Bound App',
      state: 'enabled',
      m2m: '1',
      scope: ['restlets'],
      dpop: 'required',
    });
    assert.equal(created.statusCode, 303, created.body);
    const page = await b.get(String(created.headers.location));
    assert.match(page.body, /<dt>DPoP<\/dt><dd>Required<\/dd>/);
    const made = await byName('Bound App');
    assert.equal(made?.dpop, 'required');
    const list = await b.get('/console/integrations');
    assert.match(list.body, /<th>DPoP<\/th>/);
    assert.match(list.body, /<td class="nowrap">Required<\/td>/);

    const edit = await b.get(`/console/integrations/${made?.id}/edit`);
    assert.match(edit.body, /<option value="required" selected>/);
    const saved = await b.post(`/console/integrations/${made?.id}`, {
      name: 'Bound App',
      state: 'enabled',
      m2m: '1',
      scope: ['restlets'],
      dpop: 'allowed',
    });
    assert.equal(saved.statusCode, 303, saved.body);
    assert.equal((await byName('Bound App'))?.dpop, 'allowed');
  });

  it('refuses an unknown mode with the service message and saves nothing', async () => {
    await b.get('/console/integrations/new');
    const res = await b.post('/console/integrations', {
      name: 'Odd',
      state: 'enabled',
      dpop: 'sometimes',
    });
    assert.equal(res.statusCode, 400);
    assert.match(res.body, /unknown DPoP mode &quot;sometimes&quot;: use off, allowed or required/);
    assert.equal(await byName('Odd'), undefined);
  });
});
