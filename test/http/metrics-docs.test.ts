/**
 * docs/metrics.md and docs/alerts.yml against what /metrics really exposes: the table lists
 * every metric with its type, and every metric an alert rule names exists (a histogram's
 * `_bucket`, `_sum` and `_count` series included), so the example rules cannot silently watch
 * nothing.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { METRIC_NAMES } from '../../src/service/metrics.ts';
import { Scrape } from '../support/prometheus.ts';
import { sqliteStores } from '../support/stores.ts';
import { type Fixture, tokenFixture } from '../support/token-fixture.ts';

const DOCS = resolve(import.meta.dirname, '../../docs');
const TOKEN = 'metrics-docs-token-0123456789';

interface Rule {
  alert?: unknown;
  expr?: unknown;
  annotations?: { summary?: unknown };
}

describe('metrics documentation', () => {
  let f: Fixture;
  let scrape: Scrape;
  before(async () => {
    f = await tokenFixture(sqliteStores.open, { metrics: { token: TOKEN } });
    // Every labelled series exists once something happened.
    assert.equal((await f.token(await f.sign())).statusCode, 200);
    assert.equal((await f.token('junk')).statusCode, 401);
    await f.newCredential('ES256', { days: 10 });
    const res = await f.app.inject({
      url: '/metrics',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(res.statusCode, 200);
    scrape = new Scrape(res.body);
  });
  after(() => f.close());

  /** The series names a scrape really has: families, and a histogram's three suffixes. */
  const exposedSeries = (): Set<string> => {
    const names = new Set<string>();
    for (const fam of scrape.families) {
      names.add(fam.name);
      if (fam.type === 'HISTOGRAM') {
        for (const s of ['_bucket', '_sum', '_count']) names.add(`${fam.name}${s}`);
      }
    }
    return names;
  };

  it('docs/metrics.md lists every metric exposed, with its type, and no other', () => {
    const text = readFileSync(resolve(DOCS, 'metrics.md'), 'utf8');
    const rows = [
      ...text.matchAll(/^\| `(certmint_[a-z0-9_]+)` \| (counter|gauge|histogram) \|/gm),
    ];
    const documented = new Map(rows.map((m) => [m[1] as string, m[2] as string]));
    const exposed = new Map(scrape.families.map((fam) => [fam.name, fam.type.toLowerCase()]));
    assert.deepEqual([...documented.keys()].sort(), [...exposed.keys()].sort());
    assert.deepEqual([...exposed.keys()].sort(), [...METRIC_NAMES].sort());
    for (const [name, type] of documented) assert.equal(exposed.get(name), type, name);
  });

  it('docs/alerts.yml is valid YAML whose rules name only metrics that exist', () => {
    const doc = parse(readFileSync(resolve(DOCS, 'alerts.yml'), 'utf8')) as {
      groups?: { name?: unknown; rules?: Rule[] }[];
    };
    const rules = (doc.groups ?? []).flatMap((g) => g.rules ?? []);
    assert.ok(rules.length >= 4, 'the rule file has its alerts');
    const series = exposedSeries();
    const used = new Set<string>();
    for (const rule of rules) {
      assert.equal(typeof rule.alert, 'string');
      assert.equal(typeof rule.expr, 'string', `${String(rule.alert)} has an expression`);
      assert.equal(
        typeof rule.annotations?.summary,
        'string',
        `${String(rule.alert)} has a summary`,
      );
      const names = String(rule.expr).match(/\bcertmint_[a-z0-9_]+/g) ?? [];
      assert.ok(names.length > 0, `${String(rule.alert)} watches a certmint metric`);
      for (const name of names) {
        assert.ok(series.has(name), `${String(rule.alert)}: ${name} is not exposed`);
        used.add(name);
      }
    }
    // The brief of the file: refusals, expiry, store latency, rate limits.
    for (const name of [
      'certmint_oauth_refusals_total',
      'certmint_certificates_expiring',
      'certmint_store_write_duration_seconds_bucket',
      'certmint_rate_limited_total',
    ]) {
      assert.ok(used.has(name), `an alert watches ${name}`);
    }
    // docs/metrics.md describes each alert by name.
    const text = readFileSync(resolve(DOCS, 'metrics.md'), 'utf8');
    for (const rule of rules) assert.match(text, new RegExp(`\\*\\*${String(rule.alert)}\\*\\*`));
  });
});
