/**
 * The dependency rule of src/ (test/support/architecture.ts), plus the small-files habit: no
 * file in src/ above 450 lines (above 400 is reported). The rule is proven able to fail: each
 * kind of breach is planted in a copy of src/ and must be reported.
 */
import assert from 'node:assert/strict';
import {
  appendFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  ALLOWED,
  checkTree,
  folderCycles,
  type Import,
  sources,
  specifiers,
  violation,
} from './support/architecture.ts';

const ROOT = resolve(import.meta.dirname, '..');
const SRC = join(ROOT, 'src');
const HARD_LINE_LIMIT = 450;
const SOFT_LINE_LIMIT = 400;

const imp = (from: string, target: string, typeOnly = false): Import => ({
  from,
  target,
  relative: !/^[a-z@]/.test(target) || target.includes('.ts'),
  typeOnly,
});

describe('architecture', () => {
  it('the scanner sees every kind of import', () => {
    assert.deepEqual(
      specifiers(
        "import type { A } from './a.ts';\nimport {\n  b,\n  c,\n} from '../b.ts';\nexport { d } from 'd';\nimport 'e';\nconst f = await import('./f.ts');\n// import 'g';",
      ),
      [
        { spec: './a.ts', typeOnly: true },
        { spec: '../b.ts', typeOnly: false },
        { spec: 'd', typeOnly: false },
        { spec: 'e', typeOnly: false },
        { spec: './f.ts', typeOnly: false },
      ],
    );
  });

  it('the table refuses what the rule forbids and allows what it allows', () => {
    const bad = [
      imp('client/sdk.ts', 'domain/errors.ts'),
      imp('client/sdk.ts', 'domain/errors.ts', true),
      imp('client/sdk.ts', 'fastify'),
      imp('domain/x.ts', 'store/ports.ts'),
      imp('domain/x.ts', 'jose'),
      imp('crypto/x.ts', 'service/index.ts'),
      imp('crypto/x.ts', 'store/ports.ts'),
      imp('cli/x.ts', 'store/open.ts'),
      imp('cli/x.ts', 'crypto/generate.ts'),
      imp('http/x.ts', 'store/ports.ts'),
      imp('http/x.ts', 'kysely'),
      imp('console/x.ts', 'http/context.ts'),
      imp('console/x.ts', 'store/ports.ts', true),
      imp('service/x.ts', 'store/postgres/open.ts'),
      imp('service/x.ts', 'http/app.ts'),
      imp('service/x.ts', 'kysely'),
      imp('store/sqlite/x.ts', 'service/index.ts'),
      imp('newfolder/x.ts', 'domain/errors.ts'),
      imp('domain/x.ts', 'newfolder/y.ts'),
    ];
    for (const i of bad) assert.notEqual(violation(i), null, `${i.from} → ${i.target}`);
    const good = [
      imp('client/sdk.ts', 'jose'),
      imp('client/sdk.ts', 'node:crypto'),
      imp('client/middleware.ts', 'fastify', true),
      imp('cli/x.ts', 'service/runtime.ts'),
      imp('cli/x.ts', 'http/app.ts'),
      imp('http/x.ts', 'console/plugin.ts'),
      imp('service/x.ts', 'store/ports.ts'),
      imp('service/x.ts', 'store/open.ts'),
      imp('crypto/x.ts', 'domain/errors.ts'),
      imp('store/kysely/x.ts', 'store/ports.ts'),
      imp('index.ts', 'http/app.ts'),
    ];
    for (const i of good) assert.equal(violation(i), null, `${i.from} → ${i.target}`);
    assert.deepEqual(
      folderCycles([imp('http/a.ts', 'console/b.ts'), imp('console/b.ts', 'http/c.ts')]),
      ['console → http → console'],
    );
  });

  it('every top-level folder of src/ is in the table', () => {
    const folders = new Set(
      sources(SRC)
        .map((f) => relative(SRC, f).split('/'))
        .filter((parts) => parts.length > 1)
        .map((parts) => parts[0] ?? ''),
    );
    assert.deepEqual(
      [...folders].filter((f) => !(f in ALLOWED)),
      [],
    );
  });

  it('src/ follows the rule: imports, packages, store access, no folder cycles', () => {
    assert.deepEqual(checkTree(SRC), []);
  });

  describe('a planted breach is reported', () => {
    let copy: string;
    before(() => {
      copy = mkdtempSync(join(tmpdir(), 'certmint-arch-'));
    });
    after(() => rmSync(copy, { recursive: true, force: true }));

    /** A fresh copy of src/, changed by `plant`, then checked. */
    function checkPlanted(plant: (src: string) => void): string[] {
      const src = join(copy, String(Math.random()).slice(2));
      cpSync(SRC, src, { recursive: true });
      plant(src);
      return checkTree(src);
    }

    it('an adapter imported by the HTTP layer', () => {
      const problems = checkPlanted((src) =>
        appendFileSync(join(src, 'http/app.ts'), "\nimport '../store/sqlite/open.ts';\n"),
      );
      assert.ok(
        problems.some((p) => p.includes('src/http/app.ts imports store/sqlite/open.ts')),
        problems.join('\n'),
      );
    });

    it('the store read off a context in the console', () => {
      const problems = checkPlanted((src) =>
        appendFileSync(
          join(src, 'console/render.ts'),
          '\nexport const leak = (ctx: { store: unknown }) => ctx.store;\n',
        ),
      );
      assert.ok(
        problems.some((p) => p.startsWith('src/console/render.ts reads .store')),
        problems.join('\n'),
      );
    });

    it('a folder the table does not know', () => {
      const problems = checkPlanted((src) => {
        mkdirSync(join(src, 'jobs'));
        writeFileSync(join(src, 'jobs/x.ts'), 'export const x = 1;\n');
      });
      assert.ok(
        problems.includes('src/jobs/ is not in the dependency table: add it'),
        problems.join('\n'),
      );
    });

    it('a cycle between folders', () => {
      const problems = checkPlanted((src) => {
        const file = join(src, 'console/render.ts');
        writeFileSync(file, `import '../http/app.ts';\n${readFileSync(file, 'utf8')}`);
      });
      assert.ok(
        problems.some((p) => p.startsWith('folder cycle:') && p.includes('console')),
        problems.join('\n'),
      );
      assert.ok(
        problems.some((p) => p.includes('console/ may not import http/')),
        problems.join('\n'),
      );
    });
  });

  it(`no file in src/ is over ${HARD_LINE_LIMIT} lines`, (t) => {
    const sizes = sources(SRC).map((f) => ({
      file: relative(ROOT, f),
      lines: readFileSync(f, 'utf8').split('\n').length,
    }));
    for (const s of sizes.filter((x) => x.lines > SOFT_LINE_LIMIT)) {
      t.diagnostic(`warning: ${s.file} has ${s.lines} lines (aim for < ${SOFT_LINE_LIMIT})`);
    }
    assert.deepEqual(
      sizes.filter((x) => x.lines > HARD_LINE_LIMIT).map((x) => `${x.file}: ${x.lines} lines`),
      [],
    );
  });
});
