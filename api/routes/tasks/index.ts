import type { AppDeps, Router } from '../../app';
import * as create from './create';
import * as remove from './delete';
import * as get from './get';
import * as history from './history';
import * as lastRun from './last-run';
import * as list from './list';
import * as move from './move';
import * as update from './update';

export function registerTaskRoutes(app: Router, deps: AppDeps) {
  // last-run before get: the first matching route answers, and {taskId} would take "last-run" (then 400).
  for (const operation of [list, create, lastRun, get, update, remove, move, history]) operation.register(app, deps);
}
