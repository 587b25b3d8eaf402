/**
 * The console's audit trail shows refused administrative requests with their reason and their
 * actor (the signed-in entity): a role the form refused appears as a failure of `role.create`.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { Browser, type ConsoleFixture, consoleFixture, signIn } from './support.ts';

let f: ConsoleFixture;
before(async () => {
  f = await consoleFixture();
});
after(async () => {
  await f.close();
});

it('a refused change is a Failure row with its reason and the actor', async () => {
  const b = new Browser(f.app);
  await signIn(b, f.clock, f.admin.email, f.admin.password);
  await b.get('/console/roles/new');
  const res = await b.post('/console/roles', { name: '' });
  assert.equal(res.statusCode, 400);
  const page = await b.get('/console/audit');
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /<th>Actor<\/th>/);
  const row = [...page.body.matchAll(/<tr\b[^>]*>[\s\S]*?<\/tr>/g)]
    .map((m) => m[0])
    .find((r) => /<td class="nowrap">role\.create<\/td>/.test(r));
  assert.ok(row, 'a role.create row');
  assert.match(row, /Failure/);
  assert.match(row, /<strong>role\.invalid_name<\/strong>/);
  assert.match(row, /Refused \(role\.invalid_name\), nothing changed/);
  // The administrator made by the first start is entity 1 of its account.
  assert.match(row, /<td class="actor">Administrator \(entity 1\)<\/td>/);
});
