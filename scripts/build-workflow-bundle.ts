// The workflow code bundled once, ahead of time (`npm run build`), so worker processes load it
// (WORKFLOW_BUNDLE_PATH) instead of running webpack at every start.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflows } from '../worker/create-worker';

export async function writeWorkflowBundle(target: string): Promise<string> {
  const { code } = await bundleWorkflows();
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, code);
  return target;
}
