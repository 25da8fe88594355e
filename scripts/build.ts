// `npm run build`: the worker as production runs it — one JavaScript file (dependencies stay in
// node_modules) and the workflow bundle beside it — so a worker starts without compiling
// TypeScript or running webpack, and its memory is its own work.
import path from 'node:path';
import { build } from 'esbuild';
import { writeWorkflowBundle } from './build-workflow-bundle';

const ROOT = path.join(__dirname, '..');
export const DIST = path.join(ROOT, 'dist');
export const BUILT_WORKER = path.join(DIST, 'worker.js');
export const BUILT_WORKFLOW_BUNDLE = path.join(DIST, 'workflow-bundle.js');

export async function buildWorker(): Promise<void> {
  await build({
    entryPoints: [path.join(ROOT, 'worker', 'main.ts')],
    outfile: BUILT_WORKER,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
  });
  await writeWorkflowBundle(BUILT_WORKFLOW_BUNDLE);
}

if (require.main === module) {
  buildWorker()
    .then(() => console.log(`built ${path.relative(ROOT, BUILT_WORKER)} and ${path.relative(ROOT, BUILT_WORKFLOW_BUNDLE)}`))
    .catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
}
