// /api/v1/library/{type}[/{id}]: the user's content of the ten types. List, get, create, update, delete.
import { z } from 'zod';
import { documentClient, s3Client } from '../../shared/aws/clients';
import { DynamoLibraryStore } from '../../shared/aws/dynamo-library-store';
import { CONTENT_TYPES } from '../../shared/chatbook/layout';
import { nonEmpty, readEnv } from '../../shared/config/env';
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

const typeParameter = z.enum(CONTENT_TYPES, {
  error: `the type must be one of ${CONTENT_TYPES.join(', ')}`,
});
const typePath = z.object({ type: typeParameter });
const itemPath = z.object({ type: typeParameter, id: z.string().min(1).max(300) });
const ifMatch = z
  .string()
  .regex(/^(W\/)?"?\d+"?$/, 'If-Match must be the version number the item had when you read it')
  .transform((value) => Number(value.replace(/\D/g, '')))
  .optional();

export const handler = routeTable({
  [`GET ${LIBRARY_PREFIX}/{type}`]: httpRoute({}, async ({ auth, pathParameters, query }) => {
    const { type } = parseParameters(typePath, pathParameters, 'path');
    const options = parseParameters(libraryListQuerySchema, query, 'query');
    return json(200, await library.list(auth.userId, type, options));
  }),
  [`GET ${LIBRARY_PREFIX}/{type}/{id}`]: httpRoute({}, async ({ auth, pathParameters }) => {
    const { type, id } = parseParameters(itemPath, pathParameters, 'path');
    const item = await library.get(auth.userId, type, id);
    return json(200, item, { etag: `"${item.version}"` });
  }),
  [`POST ${LIBRARY_PREFIX}/{type}`]: httpRoute(
    { body: libraryWriteSchema },
    async ({ auth, body, pathParameters }) => {
      const { type } = parseParameters(typePath, pathParameters, 'path');
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
      const { type, id } = parseParameters(itemPath, pathParameters, 'path');
      const expected = parseParameters(z.object({ 'if-match': ifMatch }), event.headers, 'headers')[
        'if-match'
      ];
      const item = await library.update(auth.userId, type, id, body, expected);
      return json(200, item, { etag: `"${item.version}"` });
    },
  ),
  [`DELETE ${LIBRARY_PREFIX}/{type}/{id}`]: httpRoute({}, async ({ auth, pathParameters }) => {
    const { type, id } = parseParameters(itemPath, pathParameters, 'path');
    await library.delete(auth.userId, type, id);
    return { statusCode: 204 };
  }),
});
