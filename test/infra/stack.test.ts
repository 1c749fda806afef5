import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { createApp } from '../../infra/create-app';

// Bundling skipped and CloudFormation validation off: these tests read the template, the CLI test bundles.
process.env.CDK_VALIDATION = 'false';
const FAST = { 'aws:cdk:bundling-stacks': [] };

function synthTemplate(context: Record<string, unknown> = {}): Template {
  const { stack } = createApp({ nag: false, context: { ...FAST, ...context } });
  return Template.fromStack(stack);
}

/** The ASL of each state machine with intrinsics replaced by placeholders. */
function definitions(
  template: Template,
): Record<string, { States: Record<string, Record<string, unknown>> }> {
  const machines = template.findResources('AWS::StepFunctions::StateMachine');
  return Object.fromEntries(
    Object.entries(machines).map(([id, resource]) => {
      const joined = (
        resource as { Properties: { DefinitionString: { 'Fn::Join': [string, unknown[]] } } }
      ).Properties.DefinitionString['Fn::Join'][1]
        .map((part) => (typeof part === 'string' ? part : 'TOKEN'))
        .join('');
      return [id, JSON.parse(joined) as { States: Record<string, Record<string, unknown>> }];
    }),
  );
}

function allStates(definition: {
  States: Record<string, Record<string, unknown>>;
}): [string, Record<string, unknown>][] {
  return Object.entries(definition.States).flatMap(([name, state]) => {
    const nested = (state.ItemProcessor ?? state.Iterator) as
      { States: Record<string, Record<string, unknown>> } | undefined;
    return [[name, state] as [string, Record<string, unknown>], ...(nested ? allStates(nested) : [])];
  });
}

describe('the stack', () => {
  let template: Template;
  before(() => {
    template = synthTemplate();
  });

  it('keeps the bucket private, encrypted, TLS-only, with lifecycle rules per object class', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'chatbooks/' }),
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({
            Id: 'expire-exports',
            ExpirationInDays: 2,
            TagFilters: [{ Key: 'chatbooks-class', Value: 'export' }],
          }),
          Match.objectLike({
            Id: 'expire-imports',
            ExpirationInDays: 1,
            TagFilters: [{ Key: 'chatbooks-class', Value: 'import' }],
          }),
          Match.objectLike({
            Id: 'expire-temp',
            ExpirationInDays: 1,
            TagFilters: [{ Key: 'chatbooks-class', Value: 'temp' }],
          }),
          Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('sets the export retention from context', () => {
    synthTemplate({ exportRetentionDays: '7' }).hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([Match.objectLike({ Id: 'expire-exports', ExpirationInDays: 7 })]),
      },
    });
  });

  it('has jobs and library tables keyed by the user partition, with PITR and TTL', () => {
    const tables = template.findResources('AWS::DynamoDB::Table');
    assert.equal(Object.keys(tables).length, 2);
    for (const table of Object.values(tables)) {
      assert.deepEqual((table as { Properties: { KeySchema: unknown } }).Properties.KeySchema, [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ]);
    }
    template.allResourcesProperties('AWS::DynamoDB::Table', {
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      SSESpecification: { SSEEnabled: true },
    });
  });

  it('protects every route but health and the OpenAPI document with a JWT authorizer backed by its own Cognito user pool', () => {
    template.resourceCountIs('AWS::Cognito::UserPool', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      JwtConfiguration: {
        Issuer: { 'Fn::Join': ['', Match.arrayWith(['https://cognito-idp.'])] },
        Audience: [Match.anyValue()],
      },
    });
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map(
      (r) => (r as { Properties: { RouteKey: string; AuthorizationType: string } }).Properties,
    );
    assert.ok(routes.length >= 2);
    for (const route of routes) {
      assert.equal(
        route.AuthorizationType,
        ['GET /api/v1/chatbooks/health', 'GET /api/v1/openapi.json'].includes(route.RouteKey)
          ? 'NONE'
          : 'JWT',
        route.RouteKey,
      );
    }
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      DefaultRouteSettings: Match.objectLike({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 }),
      AccessLogSettings: Match.objectLike({ DestinationArn: Match.anyValue() }),
    });
  });

  it('trusts an existing issuer and audience given as context instead of creating a user pool', () => {
    const external = synthTemplate({ jwtIssuer: 'https://id.example.com/', jwtAudience: 'chatbooks, cli' });
    external.resourceCountIs('AWS::Cognito::UserPool', 0);
    external.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      JwtConfiguration: { Issuer: 'https://id.example.com/', Audience: ['chatbooks', 'cli'] },
    });
    assert.throws(
      () => synthTemplate({ jwtIssuer: 'https://id.example.com/' }),
      /both jwtIssuer and jwtAudience/,
    );
  });

  it('runs every function on a current Node runtime with tracing, its own log group and a timeout', () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function')).map(
      (f) => (f as { Properties: Record<string, unknown> }).Properties,
    );
    assert.ok(functions.length >= 12);
    for (const fn of functions) {
      assert.equal(fn.Runtime, 'nodejs24.x');
      assert.deepEqual(fn.Architectures, ['arm64']);
      assert.deepEqual(fn.TracingConfig, { Mode: 'Active' });
      assert.ok((fn.LoggingConfig as { LogGroup?: unknown } | undefined)?.LogGroup, 'explicit log group');
      assert.ok(Number(fn.Timeout) >= 29);
    }
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    // The archive step streams whole chatbooks: it gets the long timeout and more memory.
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.archive',
      Timeout: 900,
      MemorySize: 1536,
    });
  });

  it('defines Standard state machines whose tasks retry transient errors and catch into a failure step', () => {
    template.allResourcesProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
    });
    const machines = Object.values(definitions(template));
    assert.equal(machines.length, 2);
    const stateNames = machines.map((m) => Object.keys(m.States).sort().join(',')).sort();
    assert.deepEqual(stateNames, [
      'Archive,ExportFailed,ExportFinalize,ExportMarkFailed,Prepare',
      'ImportBatches,ImportFailed,ImportFinalize,ImportMarkFailed,Plan,Validate',
    ]);
    for (const machine of machines) {
      for (const [name, state] of allStates(machine)) {
        if (state.Type !== 'Task') continue;
        const retriers = (state.Retry as { ErrorEquals: string[] }[] | undefined) ?? [];
        assert.ok(
          retriers.some((r) => r.ErrorEquals.includes('Chatbooks.Transient')),
          `${name} retries transient errors`,
        );
        assert.ok(
          retriers.some((r) => r.ErrorEquals.includes('Lambda.ServiceException')),
          `${name} retries Lambda errors`,
        );
        // State carries keys only: every task's payload is built from the user and job ids.
        const parameters = state.Parameters as Record<string, unknown>;
        assert.equal(parameters['userId.$'], '$.userId', name);
        assert.equal(parameters['jobId.$'], '$.jobId', name);
        if (name.endsWith('MarkFailed')) continue;
        const catchers = (state.Catch as { ErrorEquals: string[]; Next: string }[] | undefined) ?? [];
        const inMap = name === 'ImportBatch';
        if (!inMap) {
          assert.ok(
            catchers.some((c) => c.ErrorEquals.includes('States.ALL') && c.Next.endsWith('MarkFailed')),
            `${name} catches`,
          );
        }
      }
    }
    const importMachine = machines.find((m) => 'ImportBatches' in m.States)!;
    const map = importMachine.States.ImportBatches!;
    assert.equal(map.Type, 'Map');
    assert.equal(map.MaxConcurrency, 1, 'batches run in plan order, one at a time');
    assert.ok((map.Catch as { Next: string }[]).some((c) => c.Next === 'ImportMarkFailed'));
  });

  it('runs the cleanup on an EventBridge schedule', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 hour)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^CleanupFn'), 'Arn'] } })],
    });
  });
});

describe('cdk-nag', () => {
  it('finds nothing unjustified in the stack', () => {
    const { app } = createApp({ nag: true, context: FAST });
    assert.doesNotThrow(() => app.synth());
  });

  it('fails synth on a finding nobody justified', () => {
    const app = new App({ context: FAST });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const stack = new Stack(app, 'Careless');
    new Bucket(stack, 'Open');
    assert.throws(() => app.synth(), /Validation failed|AwsSolutions/);
  });
});
