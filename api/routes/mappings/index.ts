import type { AppDeps, Router } from '../../app';
import * as create from './create';
import * as remove from './delete';
import * as get from './get';
import * as list from './list';
import * as testSaved from './test-saved';
import * as testUnsaved from './test-unsaved';
import * as update from './update';

export function registerMappingRoutes(app: Router, deps: AppDeps) {
  // The literal /mappings/test goes before /mappings/{id} routes so it is never read as an id.
  for (const operation of [testUnsaved, list, create, get, update, remove, testSaved]) operation.register(app, deps);
}
