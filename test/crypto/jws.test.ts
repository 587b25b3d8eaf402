/**
 * The compact JWS form taken apart (crypto/jws.ts): what it accepts and each malformation it
 * refuses, including the UTF-8 details of the JSON parts (a byte-order mark is not JSON; bytes
 * that are not UTF-8 become U+FFFD and stay inside strings).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCompactJws } from '../../src/crypto/jws.ts';

const b64 = (bytes: Buffer | string) => Buffer.from(bytes).toString('base64url');
const json = (v: unknown) => b64(JSON.stringify(v));
const SIG = b64('signature');

describe('parseCompactJws', () => {
  it('takes a well-formed JWS apart', () => {
    const h = json({ alg: 'ES256', kid: 'k' });
    const p = json({ iss: 'c', n: 'é' });
    const jws = parseCompactJws(`${h}.${p}.${SIG}`, 10_000);
    assert.deepEqual(jws?.header, { alg: 'ES256', kid: 'k' });
    assert.deepEqual(jws?.payload, { iss: 'c', n: 'é' });
    assert.equal(jws?.signingInput, `${h}.${p}`);
    assert.deepEqual(jws?.signature, Buffer.from('signature'));
  });

  it('refuses a JSON part starting with a UTF-8 byte-order mark', () => {
    const bom = b64(
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"alg":"ES256"}')]),
    );
    assert.equal(parseCompactJws(`${bom}.${json({})}.${SIG}`, 10_000), null);
    assert.equal(parseCompactJws(`${json({ alg: 'ES256' })}.${bom}.${SIG}`, 10_000), null);
  });

  it('decodes bytes that are not UTF-8 as U+FFFD inside a string', () => {
    const raw = Buffer.concat([Buffer.from('{"iss":"a'), Buffer.from([0xff]), Buffer.from('"}')]);
    const jws = parseCompactJws(`${json({ alg: 'ES256' })}.${b64(raw)}.${SIG}`, 10_000);
    assert.equal(jws?.payload.iss, 'a\uFFFD');
  });

  it('refuses other shapes: parts, alphabet, non-objects, crit, length, empty signature', () => {
    const h = json({ alg: 'ES256' });
    const p = json({});
    assert.equal(parseCompactJws(`${h}.${p}`, 10_000), null);
    assert.equal(parseCompactJws(`${h}.${p}.${SIG}.x`, 10_000), null);
    assert.equal(parseCompactJws(`${h}.${p}+.${SIG}`, 10_000), null);
    assert.equal(parseCompactJws(`${json([1])}.${p}.${SIG}`, 10_000), null);
    assert.equal(parseCompactJws(`${b64('{x')}.${p}.${SIG}`, 10_000), null);
    assert.equal(
      parseCompactJws(`${json({ alg: 'ES256', crit: ['b64'] })}.${p}.${SIG}`, 10_000),
      null,
    );
    assert.equal(parseCompactJws(`${h}.${p}.${SIG}`, 10), null);
    assert.equal(parseCompactJws(`${h}.${p}.`, 10_000), null);
    assert.notEqual(parseCompactJws(`${h}.${p}.`, 10_000, true), null);
  });
});
