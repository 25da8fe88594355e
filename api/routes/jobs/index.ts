import type { AppDeps, Router } from '../../app';
import * as create from './create';
import * as execute from './execute';
import * as get from './get';
import * as history from './history';
import * as list from './list';
import * as status from './status';

export function registerJobRoutes(app: Router, deps: AppDeps) {
  for (const operation of [list, create, get, execute, status, history]) operation.register(app, deps);
}
