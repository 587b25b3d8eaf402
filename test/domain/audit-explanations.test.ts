/**
 * The audit explanations: one for every detail code and event type, plain text (no Markdown,
 * shown as is by the console and the CLI), and docs/http.md's table is exactly the one generated
 * from them. `CERTMINT_WRITE_DOCS=1 npm test -- audit-explanations` rewrites the table.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { AUDIT_EVENT_TYPES, DETAIL_CODES } from '../../src/domain/audit.ts';
import {
  auditExplanationTables,
  DETAIL_EXPLANATIONS,
  describeAuditEvent,
  EVENT_EXPLANATIONS,
  explainAuditEvent,
  isAdministrativeEvent,
} from '../../src/domain/audit-explanations.ts';

const DOCS = resolve(import.meta.dirname, '../../docs/http.md');
const START = '<!-- audit-explanations: generated from src/domain/audit-explanations.ts -->';
const END = '<!-- /audit-explanations -->';

function tableInDocs(text: string): { before: string; table: string; after: string } {
  const from = text.indexOf(START);
  const to = text.indexOf(END);
  assert.ok(from >= 0 && to > from, `docs/http.md has the markers ${START} … ${END}`);
  return {
    before: text.slice(0, from + START.length),
    table: text.slice(from + START.length, to).trim(),
    after: text.slice(to),
  };
}

describe('audit explanations', () => {
  it('explain every detail code and every event type in plain sentences', () => {
    assert.deepEqual(Object.keys(DETAIL_EXPLANATIONS).sort(), [...DETAIL_CODES].sort());
    assert.deepEqual(Object.keys(EVENT_EXPLANATIONS).sort(), [...AUDIT_EVENT_TYPES].sort());
    const texts = [...Object.values(DETAIL_EXPLANATIONS), ...Object.values(EVENT_EXPLANATIONS)];
    for (const x of texts) {
      for (const t of [x.meaning, x.action ?? 'None.']) {
        assert.match(t, /^[A-Z"].*[.)]$/, `a sentence: ${t}`);
        assert.doesNotMatch(t, /[`*]/, `no Markdown: ${t}`);
      }
    }
    // Every failure reason says what to do.
    for (const code of DETAIL_CODES) assert.notEqual(DETAIL_EXPLANATIONS[code].action, null, code);
  });

  it('explains a failure by its detail code and anything else by its type', () => {
    const failure = { type: 'token', result: 'failure', detail: 'CertificateRevoked' } as const;
    assert.equal(explainAuditEvent(failure), DETAIL_EXPLANATIONS.CertificateRevoked);
    assert.equal(
      describeAuditEvent(failure),
      `${DETAIL_EXPLANATIONS.CertificateRevoked.meaning} ${DETAIL_EXPLANATIONS.CertificateRevoked.action}`,
    );
    const success = { type: 'mapping.create', result: 'success', detail: null } as const;
    assert.equal(describeAuditEvent(success), EVENT_EXPLANATIONS['mapping.create'].meaning);
    assert.equal(isAdministrativeEvent('token'), false);
    assert.equal(isAdministrativeEvent('mapping.revoke'), true);
  });

  it('docs/http.md shows exactly the generated table', () => {
    const text = readFileSync(DOCS, 'utf8');
    const { before, table, after } = tableInDocs(text);
    const expected = auditExplanationTables();
    if (process.env.CERTMINT_WRITE_DOCS === '1' && table !== expected) {
      writeFileSync(DOCS, `${before}\n${expected}\n${after}`);
      return;
    }
    assert.equal(
      table,
      expected,
      'docs/http.md differs from src/domain/audit-explanations.ts: run CERTMINT_WRITE_DOCS=1 npm test -- audit-explanations',
    );
  });
});
