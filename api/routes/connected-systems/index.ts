import type { AppDeps, Router } from '../../app';
import * as create from './create';
import * as remove from './delete';
import * as get from './get';
import * as getSchema from './get-schema';
import * as importSchema from './import-schema';
import * as list from './list';
import * as testConnection from './test-connection';
import * as update from './update';

export function registerConnectedSystemRoutes(app: Router, deps: AppDeps) {
  for (const operation of [list, create, get, update, remove, testConnection, importSchema, getSchema]) operation.register(app, deps);
}
