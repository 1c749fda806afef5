// The API's routes as the catalog lists them, and the check that a per-route test table covers them exactly.
import assert from 'node:assert/strict';
import { API_OPERATIONS, routeKeyOf } from '../../shared/http/api-catalog';

/** Every cataloged route, as its route key ("GET /api/v1/chatbooks/quota"). */
export const CATALOG_ROUTES: ReadonlySet<string> = new Set(API_OPERATIONS.map(routeKeyOf));

/** Fails while a cataloged route has no entry in `table` (a new route must get one) or an entry names none. */
export function assertCoversCatalog(table: object, what: string): void {
  const entries = new Set(Object.keys(table));
  assert.deepEqual(
    [...CATALOG_ROUTES].filter((route) => !entries.has(route)),
    [],
    `catalog routes without ${what}: add them to the table`,
  );
  assert.deepEqual(
    [...entries].filter((route) => !CATALOG_ROUTES.has(route)),
    [],
    `${what} for routes the catalog does not have`,
  );
}
