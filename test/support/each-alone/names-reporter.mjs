// A node:test reporter that prints one JSON line per finished test or suite: its name, nesting
// level and type, and whether it passed, failed or was skipped. Used by run.ts to list the
// tests of a file.
export default async function* namesReporter(source) {
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { name, nesting, details, skip, todo } = event.data;
    const outcome = skip !== undefined || todo !== undefined ? 'skip' : event.type.slice(5);
    yield `${JSON.stringify({ name, nesting, type: details?.type ?? 'test', outcome })}\n`;
  }
}
