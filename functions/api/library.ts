// /api/v1/library/{type}[/{id}]: the user's content of the ten types. List, get, create, update, delete.
import { documentClient, s3Client } from '../../shared/aws/clients';
import { DynamoLibraryStore } from '../../shared/aws/dynamo-library-store';
import { nonEmpty, readEnv } from '../../shared/config/env';
import {
  libraryItemPathSchema,
  libraryTypePathSchema,
  libraryUpdateHeadersSchema,
} from '../../shared/http/api-parameters';
import { httpRoute, json, parseParameters, routeTable } from '../../shared/http/handler';
import { systemClock } from '../../shared/jobs/job';
import {
  LibraryService,
  libraryListQuerySchema,
  libraryWriteSchema,
} from '../../shared/library/library-service';

const env = readEnv({ LIBRARY_TABLE: nonEmpty, BUCKET_NAME: nonEmpty });
const library = new LibraryService(
  new DynamoLibraryStore(documentClient(), env.LIBRARY_TABLE, s3Client(), env.BUCKET_NAME),
  systemClock,
);

const LIBRARY_PREFIX = '/api/v1/library';

export const handler = routeTable({
  [`GET ${LIBRARY_PREFIX}/{type}`]: httpRoute({}, async ({ auth, pathParameters, query }) => {
    const { type } = parseParameters(libraryTypePathSchema, pathParameters, 'path');
    const options = parseParameters(libraryListQuerySchema, query, 'query');
    return json(200, await library.list(auth.userId, type, options));
  }),
  [`GET ${LIBRARY_PREFIX}/{type}/{id}`]: httpRoute({}, async ({ auth, pathParameters }) => {
    const { type, id } = parseParameters(libraryItemPathSchema, pathParameters, 'path');
    const item = await library.get(auth.userId, type, id);
    return json(200, item, { etag: `"${item.version}"` });
  }),
  [`POST ${LIBRARY_PREFIX}/{type}`]: httpRoute(
    { body: libraryWriteSchema },
    async ({ auth, body, pathParameters }) => {
      const { type } = parseParameters(libraryTypePathSchema, pathParameters, 'path');
      const item = await library.create(auth.userId, type, body);
      return json(201, item, {
        etag: `"${item.version}"`,
        location: `${LIBRARY_PREFIX}/${type}/${encodeURIComponent(item.id)}`,
      });
    },
  ),
  [`PUT ${LIBRARY_PREFIX}/{type}/{id}`]: httpRoute(
    { body: libraryWriteSchema },
    async ({ auth, body, pathParameters, event }) => {
      const { type, id } = parseParameters(libraryItemPathSchema, pathParameters, 'path');
      const expected = parseParameters(libraryUpdateHeadersSchema, event.headers, 'headers')['if-match'];
      const item = await library.update(auth.userId, type, id, body, expected);
      return json(200, item, { etag: `"${item.version}"` });
    },
  ),
  [`DELETE ${LIBRARY_PREFIX}/{type}/{id}`]: httpRoute({}, async ({ auth, pathParameters }) => {
    const { type, id } = parseParameters(libraryItemPathSchema, pathParameters, 'path');
    await library.delete(auth.userId, type, id);
    return { statusCode: 204 };
  }),
});
