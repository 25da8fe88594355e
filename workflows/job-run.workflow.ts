// One execution of a job: every planned task, page by page, through import page → map → diff →
// upsert → export. The shared engine (run-engine.ts) does the work.
import type { RunInput, RunResult } from './contracts';
import { runEngine } from './run-engine';

export async function jobRunWorkflow(input: RunInput): Promise<RunResult> {
  return runEngine(input);
}
