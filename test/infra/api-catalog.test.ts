// The route catalog against the synthesized stack (both ways), and the OpenAPI document generated from it.
import { Template } from 'aws-cdk-lib/assertions';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { createApp } from '../../infra/create-app';
import { API_OPERATIONS, routeKeyOf } from '../../shared/http/api-catalog';
import { buildOpenApiDocument } from '../../shared/http/api-document';
import { openApiDocumentSchema } from '../../shared/http/api-responses';
import { IMPORT_STRATEGIES } from '../../shared/imports/resolve';
import { ChatbooksClient } from '../../sdk/src';

process.env.CDK_VALIDATION = 'false';

interface RouteProperties {
  RouteKey: string;
  AuthorizationType: string;
}

type Json = Record<string, unknown>;

function stackRoutes(): RouteProperties[] {
  const { stack } = createApp({ nag: false, context: { 'aws:cdk:bundling-stacks': [] } });
  return Object.values(Template.fromStack(stack).findResources('AWS::ApiGatewayV2::Route')).map(
    (resource) => (resource as { Properties: RouteProperties }).Properties,
  );
}

/** Every `$ref` in the document, with where it was found. */
function refs(value: unknown, at = '#'): { ref: string; at: string }[] {
  if (Array.isArray(value)) return value.flatMap((item, index) => refs(item, `${at}/${index}`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) =>
    key === '$ref' && typeof child === 'string' ? [{ ref: child, at }] : refs(child, `${at}/${key}`),
  );
}

function resolvePointer(document: Json, ref: string): unknown {
  return ref
    .slice(2)
    .split('/')
    .reduce<unknown>((node, part) => (node as Json | undefined)?.[part], document);
}

describe('the route catalog', () => {
  let routes: RouteProperties[];
  before(() => {
    routes = stackRoutes();
  });

  it('lists exactly the routes API Gateway has, both ways', () => {
    const deployed = new Set(routes.map((route) => route.RouteKey).filter((key) => key !== '$default'));
    const cataloged = new Set(API_OPERATIONS.map(routeKeyOf));
    assert.ok(deployed.size >= 19, `the stack has ${deployed.size} routes`);
    assert.deepEqual(
      [...deployed].filter((key) => !cataloged.has(key)),
      [],
      'routes in the stack but not in the catalog',
    );
    assert.deepEqual(
      [...cataloged].filter((key) => !deployed.has(key)),
      [],
      'operations in the catalog but not in the stack',
    );
    assert.equal(cataloged.size, API_OPERATIONS.length, 'no route is cataloged twice');
  });

  it('marks public exactly the routes without the JWT authorizer', () => {
    const open = routes
      .filter((route) => route.AuthorizationType === 'NONE')
      .map((route) => route.RouteKey)
      .sort();
    const cataloged = API_OPERATIONS.filter((operation) => operation.public)
      .map(routeKeyOf)
      .sort();
    assert.deepEqual(open, cataloged);
    assert.deepEqual(open, ['GET /api/v1/chatbooks/health', 'GET /api/v1/openapi.json']);
  });

  it('has an SDK method for every operation', () => {
    const client = new ChatbooksClient({ baseUrl: 'http://127.0.0.1:1' });
    const missing = API_OPERATIONS.map((operation) => operation.operationId).filter(
      (name) => typeof (client as unknown as Record<string, unknown>)[name] !== 'function',
    );
    assert.deepEqual(missing, []);
  });
});

describe('the OpenAPI document', () => {
  const document = buildOpenApiDocument();
  const paths = document.paths as Record<string, Record<string, Json>>;
  const operations = Object.entries(paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]) => ({ path, method, operation })),
  );

  it('is an OpenAPI 3.1 document with one operation per cataloged route', () => {
    assert.equal(document.openapi, '3.1.0');
    assert.ok(openApiDocumentSchema.safeParse(document).success);
    assert.deepEqual(
      operations.map(({ path, method }) => `${method.toUpperCase()} ${path}`).sort(),
      API_OPERATIONS.map(routeKeyOf).sort(),
    );
    const ids = operations.map(({ operation }) => operation.operationId);
    assert.equal(new Set(ids).size, ids.length, 'operationIds are unique');
  });

  it('declares every path parameter of every path, and no other', () => {
    for (const { path, method, operation } of operations) {
      const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();
      const declared = ((operation.parameters ?? []) as Json[])
        .filter((parameter) => parameter.in === 'path')
        .map((parameter) => {
          assert.equal(parameter.required, true, `${method} ${path} ${String(parameter.name)}`);
          return parameter.name;
        })
        .sort();
      assert.deepEqual(declared, inPath, `${method} ${path}`);
    }
  });

  it('resolves every $ref to a component', () => {
    const found = refs(document);
    assert.ok(found.length > 30);
    for (const { ref, at } of found) {
      assert.ok(resolvePointer(document, ref) !== undefined, `${ref} (at ${at}) resolves`);
    }
  });

  it('asks for a token on every route but the public ones, and answers errors with the error model', () => {
    for (const { path, method, operation } of operations) {
      const responses = operation.responses as Record<string, Json>;
      const isPublic = Array.isArray(operation.security) && operation.security.length === 0;
      assert.equal(isPublic, responses['401'] === undefined, `${method} ${path}`);
      assert.ok(
        Object.keys(responses).some((status) => /^[23]/.test(status)),
        `${method} ${path} has a success response`,
      );
      assert.deepEqual(responses['500'], { $ref: '#/components/responses/InternalError' });
    }
    const schemas = (document.components as { schemas: Record<string, Json> }).schemas;
    assert.deepEqual((schemas.Error?.properties as Json).error, {
      type: 'object',
      properties: {
        code: { type: 'string', description: 'Stable, machine-readable code, e.g. `upload_not_found`' },
        message: { type: 'string', description: 'What went wrong and what to do next' },
        details: { type: 'object', propertyNames: { type: 'string' }, additionalProperties: {} },
      },
      required: ['code', 'message'],
    });
  });

  it('describes the request bodies and parameters with the schemas the handlers parse', () => {
    const schemas = (document.components as { schemas: Record<string, Json> }).schemas;
    const importRequest = schemas.ImportRequest as {
      properties: Record<string, Json>;
      required: string[];
      additionalProperties: unknown;
    };
    assert.deepEqual(importRequest.properties.strategy?.enum, [...IMPORT_STRATEGIES]);
    assert.deepEqual(importRequest.required, ['upload_id']);
    assert.equal(importRequest.additionalProperties, false, 'the handler refuses unknown fields');
    assert.deepEqual((schemas.ExportRequest as { required: string[] }).required, ['name']);

    const upload = paths['/api/v1/chatbooks/uploads']?.post as { requestBody: Json };
    assert.equal(upload.requestBody.required, false, 'an empty body asks for a presigned POST');
    assert.deepEqual(Object.keys(upload.requestBody.content as Json).sort(), [
      'application/json',
      'application/zip',
      'multipart/form-data',
    ]);
    const preview = paths['/api/v1/chatbooks/preview']?.post as { requestBody: Json };
    assert.equal(preview.requestBody.required, true);

    const report = paths['/api/v1/chatbooks/import/jobs/{job_id}/report']?.get as { parameters: Json[] };
    assert.deepEqual(
      report.parameters.find((parameter) => parameter.name === 'limit'),
      {
        name: 'limit',
        in: 'query',
        required: false,
        schema: { type: 'integer', default: 200, minimum: 1, maximum: 1000 },
      },
    );
    const update = paths['/api/v1/library/{type}/{id}']?.put as { parameters: Json[] };
    assert.deepEqual(
      update.parameters.map((parameter) => `${String(parameter.in)}:${String(parameter.name)}`),
      ['path:type', 'path:id', 'header:If-Match'],
    );
    const download = paths['/api/v1/chatbooks/download/{job_id}']?.get as { responses: Record<string, Json> };
    assert.ok((download.responses['302']?.headers as Json | undefined)?.Location);
  });
});
