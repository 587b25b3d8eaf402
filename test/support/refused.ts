/** assert.rejects matchers for DomainError refusals. */
import assert from 'node:assert/strict';
import { cliMessage, DomainError } from '../../src/domain/errors.ts';

/** The refusal's code, and its message (for every interface) matching `message`. */
export const refused = (code: string, message?: RegExp) => (e: unknown) => {
  assert.ok(e instanceof DomainError, `expected a DomainError, got ${String(e)}`);
  assert.equal(e.code, code);
  if (message) assert.match(e.message, message);
  return true;
};

/** As `refused`, but `message` is matched against what the CLI prints (message + CLI hint). */
export const refusedOnCli = (code: string, message: RegExp) => (e: unknown) => {
  assert.ok(e instanceof DomainError, `expected a DomainError, got ${String(e)}`);
  assert.equal(e.code, code);
  assert.match(cliMessage(e), message);
  return true;
};
