// The API's $default route: every path no other route claims. Behind the authorizer, so an anonymous
// caller gets 401 first; an authenticated one learns the route does not exist.
import { NotFoundError } from '../../shared/errors';
import { httpRoute } from '../../shared/http/handler';

export const handler = httpRoute({}, ({ event }) => {
  throw new NotFoundError(
    'route_not_found',
    `There is no route ${event.requestContext.http.method} ${event.rawPath.slice(0, 200)}. See the API reference in the README for the routes this service has.`,
  );
});
