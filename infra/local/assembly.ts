import { Stack } from 'aws-cdk-lib';
import type { CfnResource } from 'aws-cdk-lib';
import { ChatbookFunction } from '../constructs/chatbook-function';
import { createApp, STACK_NAME } from '../create-app';
import { physicalName, resolve, type Template } from './cfn';

export interface LocalFunction {
  logicalId: string;
  /** Source file (project-relative) and export, the same ones NodejsFunction bundles. */
  entry: string;
  handler: string;
  environment: Record<string, string>;
  timeoutSeconds: number;
}

export interface LocalRoute {
  method: string;
  path: string;
  functionId: string;
  authorized: boolean;
}

export interface LocalTable {
  name: string;
  definition: Record<string, unknown>;
}

export interface LocalStateMachine {
  logicalId: string;
  arn: string;
  definition: Record<string, unknown>;
}

export interface LocalRule {
  logicalId: string;
  scheduleExpression: string;
  functionIds: string[];
}

/** What the local cloud runs, read from the synthesized template. */
export interface LocalAssembly {
  template: Template;
  functions: Map<string, LocalFunction>;
  buckets: string[];
  tables: LocalTable[];
  stateMachines: LocalStateMachine[];
  routes: LocalRoute[];
  defaultRoute?: LocalRoute;
  rules: LocalRule[];
}

function functionIdOfArn(arn: unknown): string {
  const match = /:function:([^:]+)/.exec(String(arn));
  if (!match) throw new Error(`Not a Lambda ARN: ${String(arn)}`);
  return match[1]!;
}

/**
 * Synthesizes the CDK app in process (the same app `cdk synth` runs, without bundling, nag or CloudFormation
 * validation, which `cdk synth` and the stack tests cover) and extracts what the local cloud needs.
 */
export function synthesizeLocal(outdir: string): LocalAssembly {
  const previousValidation = process.env.CDK_VALIDATION;
  process.env.CDK_VALIDATION = 'false';
  try {
    const { app, stack } = createApp({ outdir, nag: false, context: { 'aws:cdk:bundling-stacks': [] } });
    const sources = new Map<string, { entry: string; handler: string }>();
    for (const construct of stack.node.findAll()) {
      if (construct instanceof ChatbookFunction) {
        sources.set(
          Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnResource),
          construct.source,
        );
      }
    }
    const template = app.synth().getStackByName(STACK_NAME).template as Template;
    return extract(template, sources);
  } finally {
    if (previousValidation === undefined) delete process.env.CDK_VALIDATION;
    else process.env.CDK_VALIDATION = previousValidation;
  }
}

function extract(
  template: Template,
  sources: Map<string, { entry: string; handler: string }>,
): LocalAssembly {
  const assembly: LocalAssembly = {
    template,
    functions: new Map(),
    buckets: [],
    tables: [],
    stateMachines: [],
    routes: [],
    rules: [],
  };
  const integrations = new Map<string, string>();
  const authorizedRoutes: { properties: Record<string, unknown> }[] = [];

  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    const properties = (resolve(template, resource.Properties ?? {}) ?? {}) as Record<string, unknown>;
    switch (resource.Type) {
      case 'AWS::Lambda::Function': {
        const source = sources.get(logicalId);
        if (!source)
          throw new Error(`Function ${logicalId} is not a ChatbookFunction; the local cloud cannot run it.`);
        const variables = (properties.Environment as { Variables?: Record<string, string> } | undefined)
          ?.Variables;
        assembly.functions.set(logicalId, {
          logicalId,
          ...source,
          environment: variables ?? {},
          timeoutSeconds: Number(properties.Timeout ?? 3),
        });
        break;
      }
      case 'AWS::S3::Bucket':
        assembly.buckets.push(physicalName(logicalId, resource.Type));
        break;
      case 'AWS::DynamoDB::Table':
        assembly.tables.push({ name: physicalName(logicalId, resource.Type), definition: properties });
        break;
      case 'AWS::StepFunctions::StateMachine':
        assembly.stateMachines.push({
          logicalId,
          arn: physicalName(logicalId, resource.Type),
          definition: JSON.parse(String(properties.DefinitionString)) as Record<string, unknown>,
        });
        break;
      case 'AWS::ApiGatewayV2::Integration':
        integrations.set(logicalId, functionIdOfArn(properties.IntegrationUri));
        break;
      case 'AWS::ApiGatewayV2::Route':
        authorizedRoutes.push({ properties });
        break;
      case 'AWS::Events::Rule':
        if (typeof properties.ScheduleExpression === 'string') {
          assembly.rules.push({
            logicalId,
            scheduleExpression: properties.ScheduleExpression,
            functionIds: ((properties.Targets as { Arn: string }[] | undefined) ?? []).map((t) =>
              functionIdOfArn(t.Arn),
            ),
          });
        }
        break;
      default:
        break;
    }
  }

  for (const { properties } of authorizedRoutes) {
    const integrationId = String(properties.Target).replace(/^integrations\//, '');
    const functionId = integrations.get(integrationId);
    if (!functionId) throw new Error(`Route ${String(properties.RouteKey)} has no Lambda integration.`);
    const authorized = properties.AuthorizationType === 'JWT';
    const routeKey = String(properties.RouteKey);
    if (routeKey === '$default') {
      assembly.defaultRoute = { method: 'ANY', path: '$default', functionId, authorized };
    } else {
      const [method, path] = routeKey.split(' ');
      assembly.routes.push({ method: method!, path: path!, functionId, authorized });
    }
  }
  return assembly;
}
