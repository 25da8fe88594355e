// Runs in flight when the worker is upgraded go on under the new workflow code, so every workflow
// change is gated (patched) and old histories must replay. Each commit's histories are a first run
// of 30 records in pages of 10, then a run with one record changed, recorded with the workflow code
// of that commit: 621b86e (import, map, diff, upsert and export as separate activities) and
// 7ef5146 (map, diff and upsert as one activity, the next page imported alongside).
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { testWorkflowBundle } from './helpers/stack';

// Resolved from the working directory, as npm test runs (the repository root).
const DIR = join('test', 'fixtures', 'histories');
const fixtures = readdirSync(DIR).filter((f) => f.endsWith('.json'));
/** The page activities each commit's workflow code scheduled (so a fixture is what it says it is). */
const STEPS_OF_COMMIT: Record<string, string[]> = {
  '621b86e': ['importPage', 'mapPage', 'diffPage'],
  '7ef5146': ['importPage', 'synchronisePage'],
};

test('there are recorded histories to replay', () => {
  assert.ok(fixtures.length >= 4, fixtures.join(', '));
});

for (const file of fixtures) {
  test(`a job run recorded with earlier workflow code replays against today's: ${file}`, async () => {
    const history = historyFromJSON(JSON.parse(readFileSync(join(DIR, file), 'utf8')));
    const activities = new Set(history.events?.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []));
    const commit = /job-run-([0-9a-f]+)-/.exec(file)?.[1] ?? '';
    const steps = STEPS_OF_COMMIT[commit];
    assert.ok(steps, `${file} names a commit this test knows`);
    assert.ok(steps.every((step) => activities.has(step)), `the history uses ${steps.join(', ')}: ${[...activities].join(', ')}`);
    await Worker.runReplayHistory({ workflowBundle: await testWorkflowBundle() }, history, 'job-1');
  });
}
