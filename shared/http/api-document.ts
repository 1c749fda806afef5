/**
 * The OpenAPI 3.1 document, generated from the route catalog and its zod schemas (request bodies and parameters
 * as the handlers read them, responses as the views are written); nothing in it is written by hand but prose.
 */
import { z } from 'zod';
import {
  API_OPERATIONS,
  archiveBodySchema,
  archiveFormSchema,
  REQUEST_COMPONENTS,
  RESPONSE_COMPONENTS,
  type ApiOperation,
  type ErrorStatus,
} from './api-catalog';
import { errorBodySchema } from './api-responses';

type JsonObject = Record<string, unknown>;

const COMPONENT_REF = '#/components/schemas/';

/** Each error status as a named response component (the body is always the error model). */
const ERROR_RESPONSES: Record<ErrorStatus, { name: string; description: string }> = {
  400: { name: 'BadRequest', description: 'The request is invalid: `details.issues` lists each problem' },
  401: { name: 'Unauthorized', description: 'No valid bearer token' },
  403: { name: 'Forbidden', description: 'Not allowed (a share link that is not valid)' },
  404: { name: 'NotFound', description: "No such thing for you (another user's ids answer the same)" },
  409: { name: 'Conflict', description: 'Conflicts with the current state' },
  410: { name: 'Gone', description: 'Gone for good (an expired export)' },
  413: { name: 'TooLarge', description: 'Too large for how it was asked' },
  422: { name: 'Unprocessable', description: 'Well-formed, but the content cannot be processed' },
  429: { name: 'TooManyRequests', description: 'Too many requests: slow down and retry' },
  500: {
    name: 'InternalError',
    description: 'Something failed on our side; the message names the request id',
  },
  503: { name: 'Unavailable', description: 'Not ready' },
};

/** Every operation may answer these besides its own. */
const COMMON_ERRORS: ErrorStatus[] = [429, 500];

/** A JSON Schema without the keys a schema embedded in an OpenAPI document does not carry. */
function embedded(schema: JsonObject): JsonObject {
  const { $schema: _schema, $id: _id, ...rest } = schema;
  return rest;
}

/** Responses may gain fields: a client must not refuse an unknown one, so the document does not forbid them. */
function allowAdditionalProperties(context: { jsonSchema: JsonObject }): void {
  if (context.jsonSchema.additionalProperties === false) delete context.jsonSchema.additionalProperties;
}

function components(
  named: ReadonlyMap<z.ZodType, string>,
  io: 'input' | 'output',
): Record<string, JsonObject> {
  const registry = z.registry<{ id: string }>();
  for (const [schema, id] of named) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, {
    io,
    target: 'draft-2020-12',
    unrepresentable: 'throw',
    uri: (id) => `${COMPONENT_REF}${id}`,
    ...(io === 'output' ? { override: allowAdditionalProperties } : {}),
  });
  return Object.fromEntries(
    Object.entries(schemas).map(([id, schema]) => [id, embedded(schema as JsonObject)]),
  );
}

function refTo(named: ReadonlyMap<z.ZodType, string>, schema: z.ZodType, where: string): JsonObject {
  const id = named.get(schema);
  if (!id) throw new Error(`${where}: its body schema has no component name in the catalog.`);
  return { $ref: `${COMPONENT_REF}${id}` };
}

/** A header's name as documents write it: `if-match` → `If-Match`. */
function headerName(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_match, dash: string, letter: string) => dash + letter.toUpperCase());
}

function parametersOf(operation: ApiOperation): JsonObject[] {
  const locations = [
    ['path', operation.parameters?.path],
    ['query', operation.parameters?.query],
    ['header', operation.parameters?.headers],
  ] as const;
  return locations.flatMap(([location, schema]) => {
    if (!schema) return [];
    const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'throw' }) as JsonObject;
    const properties = (json.properties ?? {}) as Record<string, JsonObject>;
    const required = new Set((json.required ?? []) as string[]);
    return Object.entries(properties).map(([name, property]) => {
      const { description, ...propertySchema } = property;
      return {
        name: location === 'header' ? headerName(name) : name,
        in: location,
        required: location === 'path' || required.has(name),
        ...(typeof description === 'string' ? { description } : {}),
        schema: propertySchema,
      };
    });
  });
}

function requestBodyOf(operation: ApiOperation): JsonObject | undefined {
  const body = operation.body;
  if (!body) return undefined;
  const content: JsonObject = {};
  if (body.json) {
    content['application/json'] = { schema: refTo(REQUEST_COMPONENTS, body.json, operation.operationId) };
  }
  if (body.archive) {
    content['application/zip'] = {
      schema: embedded(z.toJSONSchema(archiveBodySchema, { io: 'input' })),
    };
    content['multipart/form-data'] = {
      schema: embedded(z.toJSONSchema(archiveFormSchema, { io: 'input' })),
    };
  }
  // An empty body is parsed as {}: the body is optional exactly when {} is a valid request.
  const required = body.json ? !body.json.safeParse({}).success : true;
  return { required, content };
}

function responsesOf(operation: ApiOperation): JsonObject {
  const responses: JsonObject = {};
  for (const [status, response] of Object.entries(operation.responses)) {
    responses[status] = {
      description: response.description,
      ...(response.headers
        ? {
            headers: Object.fromEntries(
              Object.entries(response.headers).map(([name, description]) => [
                headerName(name),
                { description, schema: { type: 'string' } },
              ]),
            ),
          }
        : {}),
      ...(response.body
        ? {
            content: {
              'application/json': {
                schema: refTo(RESPONSE_COMPONENTS, response.body, operation.operationId),
              },
            },
          }
        : {}),
    };
  }
  const errors = new Set<ErrorStatus>([
    ...operation.errors,
    ...(operation.public ? [] : [401 as const]),
    ...COMMON_ERRORS,
  ]);
  for (const status of [...errors].sort((a, b) => a - b)) {
    responses[String(status)] ??= { $ref: `#/components/responses/${ERROR_RESPONSES[status].name}` };
  }
  return responses;
}

function operationObject(operation: ApiOperation): JsonObject {
  const parameters = parametersOf(operation);
  const requestBody = requestBodyOf(operation);
  return {
    operationId: operation.operationId,
    tags: [operation.tag],
    summary: operation.summary,
    ...(operation.description ? { description: operation.description } : {}),
    ...(operation.public ? { security: [] } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(requestBody ? { requestBody } : {}),
    responses: responsesOf(operation),
  };
}

export function buildOpenApiDocument(operations: readonly ApiOperation[] = API_OPERATIONS): JsonObject {
  const paths: Record<string, JsonObject> = {};
  for (const operation of operations) {
    const item = (paths[operation.path] ??= {});
    item[operation.method.toLowerCase()] = operationObject(operation);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Chatbooks Cloud API',
      version: '1.0.0',
      description:
        'Back up, move and share AI-assistant knowledge as chatbooks. Errors are always `{"error": {"code", "message", "details"}}`. Generated from the schemas the handlers parse.',
    },
    servers: [{ url: '/', description: 'This service' }],
    tags: [
      { name: 'Exports', description: 'Export content as a chatbook, follow the job, download it' },
      {
        name: 'Imports',
        description: 'Upload, preview and import a chatbook, follow the job and its report',
      },
      { name: 'Library', description: 'The content that exports select and imports restore' },
      { name: 'Quotas', description: 'Your limits and use, and the cleanup of your own data' },
      { name: 'Audit', description: 'What you did and what was refused, for your own account' },
      { name: 'Service', description: 'Health and this document' },
    ],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'Cognito in AWS; in the local cloud, `npm run token -- --user <id>`',
        },
      },
      schemas: {
        ...components(REQUEST_COMPONENTS, 'input'),
        ...components(RESPONSE_COMPONENTS, 'output'),
      },
      responses: Object.fromEntries(
        Object.values(ERROR_RESPONSES).map(({ name, description }) => [
          name,
          {
            description,
            content: { 'application/json': { schema: refTo(RESPONSE_COMPONENTS, errorBodySchema, name) } },
          },
        ]),
      ),
    },
  };
}
