import type { AppDeps, Router } from '../../app';
import * as create from './create';
import * as remove from './delete';
import * as execute from './execute';
import * as list from './list';
import * as update from './update';

export function registerRunProfileRoutes(app: Router, deps: AppDeps) {
  for (const operation of [list, create, update, remove, execute]) operation.register(app, deps);
}
