import type { AppDeps, Router } from '../../app';
import * as cancel from './cancel';
import * as create from './create';
import * as deleteJob from './delete';
import * as execute from './execute';
import * as get from './get';
import * as history from './history';
import * as historyRun from './history-run';
import * as list from './list';
import * as pause from './pause';
import * as resume from './resume';
import * as status from './status';
import * as update from './update';

export function registerJobRoutes(app: Router, deps: AppDeps) {
  for (const operation of [list, create, get, update, deleteJob, execute, cancel, pause, resume, status, history, historyRun]) operation.register(app, deps);
}
