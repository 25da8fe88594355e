// Runs in flight when the worker is upgraded go on under the new workflow code, so every workflow
// change is gated (patched) and old histories must replay. These histories were recorded with
// the workflow code of commit 621b86e (import, map, diff, upsert and export as separate
// activities): a first run of 30 records in pages of 10, then a run with one record changed.
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

test('there are recorded histories to replay', () => {
  assert.ok(fixtures.length >= 2, fixtures.join(', '));
});

for (const file of fixtures) {
  test(`a job run recorded with earlier workflow code replays against today's: ${file}`, async () => {
    const history = historyFromJSON(JSON.parse(readFileSync(join(DIR, file), 'utf8')));
    const activities = new Set(history.events?.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []));
    assert.ok(activities.has('mapPage') && activities.has('diffPage'), `the history uses the separate page steps: ${[...activities].join(', ')}`);
    await Worker.runReplayHistory({ workflowBundle: await testWorkflowBundle() }, history, 'job-1');
  });
}
