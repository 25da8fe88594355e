import type { AppDeps, Router } from '../../app';
import * as backfill from './backfill';
import * as create from './create';
import * as deleteSchedule from './delete';
import * as get from './get';
import * as list from './list';
import * as pause from './pause';
import * as trigger from './trigger';
import * as unpause from './unpause';
import * as update from './update';

export function registerScheduleRoutes(app: Router, deps: AppDeps) {
  for (const operation of [list, create, get, update, deleteSchedule, pause, unpause, trigger, backfill]) operation.register(app, deps);
}
