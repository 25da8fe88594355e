// `npm run build:workflows [-- <path>]`: bundles the workflow code once, ahead of time, so worker
// processes load it (WORKFLOW_BUNDLE_PATH) instead of running webpack at every start.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflows } from '../worker/create-worker';

export const DEFAULT_WORKFLOW_BUNDLE_PATH = path.join(__dirname, '..', 'dist', 'workflow-bundle.js');

export async function writeWorkflowBundle(target = DEFAULT_WORKFLOW_BUNDLE_PATH): Promise<string> {
  const { code } = await bundleWorkflows();
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, code);
  return target;
}

if (require.main === module) {
  writeWorkflowBundle(process.argv[2] ? path.resolve(process.argv[2]) : undefined)
    .then((target) => console.log(`workflow bundle written to ${target}`))
    .catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
}
