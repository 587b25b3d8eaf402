/**
 * The console's integration pages and the two sender-constraint settings, DPoP (RFC 9449) and
 * the mTLS binding (RFC 8705): chosen on the form, shown on the created page and in the list,
 * changed on edit; an unknown value is refused with the service's message, on create (nothing
 * saved) and on edit (the record kept as it was).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Browser, type ConsoleFixture, consoleFixture, signIn } from './support.ts';

interface Setting {
  label: string;
  /** The form field. */
  field: string;
  /** The integration's property. */
  read: (i: { dpop: string; mtlsBinding: string }) => string;
  unknown: string;
  message: RegExp;
}

const SETTINGS: Setting[] = [
  {
    label: 'DPoP',
    field: 'dpop',
    read: (i) => i.dpop,
    unknown: 'sometimes',
    message: /unknown DPoP mode &quot;sometimes&quot;: use off, allowed or required/,
  },
  {
    label: 'mTLS binding',
    field: 'mtls_binding',
    read: (i) => i.mtlsBinding,
    unknown: 'always',
    message: /unknown mTLS binding &quot;always&quot;: use off, allowed, required/,
  },
];

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

for (const s of SETTINGS) {
  describe(`console integration ${s.label}`, () => {
    const name = `${s.label} Bound App`;
    const form = (value: string, extra: Record<string, string | string[]> = {}) => ({
      name,
      state: 'enabled',
      m2m: '1',
      scope: ['restlets'],
      [s.field]: value,
      ...extra,
    });

    it('creates with it required, shows it on the created page and in the list, edits it to allowed', async () => {
      const page = await b.get('/console/integrations/new');
      assert.match(page.body, new RegExp(`<select name="${s.field}">`));
      assert.match(page.body, /<option value="off" selected>/);
      const created = await b.post('/console/integrations', form('required'));
      assert.equal(created.statusCode, 303, created.body);
      const shown = await b.get(String(created.headers.location));
      assert.match(shown.body, new RegExp(`<dt>${s.label}</dt><dd>Required</dd>`));
      const made = await byName(name);
      assert.ok(made);
      assert.equal(s.read(made), 'required');

      const list = await b.get('/console/integrations');
      assert.match(list.body, new RegExp(`<th>${s.label}</th>`));
      const row = list.body.split('<tr>').find((r) => r.includes(`${name}</td>`));
      assert.ok(row, 'the record is in the list');
      assert.match(row, /<td class="nowrap">Required<\/td>/);

      const edit = await b.get(`/console/integrations/${made.id}/edit`);
      assert.match(edit.body, /<option value="required" selected>/);
      const saved = await b.post(`/console/integrations/${made.id}`, form('allowed'));
      assert.equal(saved.statusCode, 303, saved.body);
      const after = await byName(name);
      assert.ok(after);
      assert.equal(s.read(after), 'allowed');
    });

    it('refuses an unknown value on create with the service message and saves nothing', async () => {
      await b.get('/console/integrations/new');
      const odd = `${s.label} Odd`;
      const res = await b.post('/console/integrations', form(s.unknown, { name: odd }));
      assert.equal(res.statusCode, 400);
      assert.match(res.body, s.message);
      assert.equal(await byName(odd), undefined);
    });

    it('refuses an unknown value on edit and keeps the record as it was', async () => {
      const keptName = `${s.label} Kept`;
      await b.get('/console/integrations/new');
      await b.post('/console/integrations', { name: keptName, state: 'enabled' });
      const kept = await byName(keptName);
      assert.ok(kept);
      await b.get(`/console/integrations/${kept.id}/edit`);
      const res = await b.post(
        `/console/integrations/${kept.id}`,
        form(s.unknown, { name: keptName }),
      );
      assert.equal(res.statusCode, 400);
      assert.match(res.body, s.message);
      const still = await byName(keptName);
      assert.ok(still);
      assert.equal(s.read(still), 'off');
    });
  });
}
