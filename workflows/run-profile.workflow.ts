// One execution of a run profile: one stage (import, synchronisation or export) against one
// connected system, over every task that reads from or writes to it, with the same engine and
// the same step activities as a job run.
import type { RunInput, RunResult } from './contracts';
import { runEngine } from './run-engine';

export async function runProfileWorkflow(input: RunInput): Promise<RunResult> {
  return runEngine(input);
}
