// Workflow code must stay deterministic: the lint configuration refuses I/O and Node built-ins in
// workflows/, activity implementations imported by value, and process.env outside config.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ESLint } from 'eslint';

const eslint = new ESLint();

async function ruleIdsFor(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.map((m) => m.ruleId ?? `fatal: ${m.message}`);
}

test('workflow files may not import Node built-ins, database or HTTP modules', async () => {
  for (const line of [
    "import fs from 'node:fs';",
    "import { readFileSync } from 'fs';",
    "import postgres from 'postgres';",
    "import { eq } from 'drizzle-orm';",
    "import { createDatabase } from '../db/client';",
  ]) {
    const ids = await ruleIdsFor(`${line}\nexport const x = 1;\n`, 'workflows/index.ts');
    assert.ok(ids.includes('no-restricted-imports'), `${line} → ${ids.join(', ')}`);
  }
});

test('workflow files import activities by type only', async () => {
  const byValue = await ruleIdsFor("import { createActivities } from '../activities';\nexport const x = createActivities;\n", 'workflows/index.ts');
  assert.ok(byValue.includes('no-restricted-imports'));
  const byType = await ruleIdsFor("import type { Activities } from '../activities';\nexport type X = Activities;\n", 'workflows/index.ts');
  assert.deepEqual(byType, []);
});

test('only config.ts reads process.env, and floating promises are errors everywhere', async () => {
  assert.ok((await ruleIdsFor('export const port = process.env.PORT;\n', 'api/app.ts')).includes('no-restricted-properties'));
  assert.deepEqual(await ruleIdsFor('export const port = process.env.PORT;\n', 'config.ts'), []);
  const floating = await ruleIdsFor('async function f() {}\nexport function g() { f(); }\n', 'api/app.ts');
  assert.ok(floating.includes('@typescript-eslint/no-floating-promises'), floating.join(', '));
});
