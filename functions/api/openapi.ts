// GET /api/v1/openapi.json: public; the OpenAPI 3.1 document, generated once per cold start from the route
// catalog and the zod schemas the handlers parse.
import { buildOpenApiDocument } from '../../shared/http/api-document';
import { httpRoute, json } from '../../shared/http/handler';

const document = buildOpenApiDocument();

export const handler = httpRoute({ auth: false }, () =>
  // It changes only with a deploy: caches may keep it a few minutes.
  Promise.resolve(json(200, document, { 'cache-control': 'public, max-age=300' })),
);
