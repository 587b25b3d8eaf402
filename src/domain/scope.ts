import { invalidInput } from './errors.ts';

/** The scope values of NetSuite's integration record (RESTlets, REST Web Services, SuiteAnalytics Connect). */
export const SCOPES = ['restlets', 'rest_webservices', 'suite_analytics'] as const;
export type Scope = (typeof SCOPES)[number];
export const isScope = (s: string): s is Scope => (SCOPES as readonly string[]).includes(s);

/** Parses a user-supplied scope list (`restlets,rest_webservices`) for records and CLI flags. */
export function parseScopeList(input: string | readonly string[]): Scope[] {
  const parts = (typeof input === 'string' ? input.split(/[,\s]+/) : input)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const out: Scope[] = [];
  for (const p of parts) {
    if (!isScope(p)) {
      throw invalidInput(
        'scope.unknown',
        `unknown scope "${p.slice(0, 40)}": use ${SCOPES.join(', ')} (comma separated)`,
      );
    }
    if (!out.includes(p)) out.push(p);
  }
  return out;
}
