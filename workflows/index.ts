// Every workflow type the worker registers. Keep explicit named exports (bundler-friendly).
export { jobRunWorkflow } from './job-run.workflow';
export { runProfileWorkflow } from './run-profile.workflow';
export { scheduleRunWorkflow } from './schedule-run.workflow';
