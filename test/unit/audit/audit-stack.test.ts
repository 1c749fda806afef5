// The audit retention as the stack sets it: every function that can write the audit trail gets the jobs table and
// AUDIT_RETENTION_DAYS (90, or the `auditRetentionDays` context), the library only adds items there, and a bad
// value fails the synth.
import { Template } from 'aws-cdk-lib/assertions';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createApp } from '../../../infra/create-app';

process.env.CDK_VALIDATION = 'false';

interface FunctionProperties {
  Handler: string;
  Description?: string;
  Environment?: { Variables?: Record<string, unknown> };
}

function synth(context: Record<string, unknown> = {}): Template {
  const { stack } = createApp({ nag: false, context: { 'aws:cdk:bundling-stacks': [], ...context } });
  return Template.fromStack(stack);
}

function functionsOf(template: Template): FunctionProperties[] {
  return Object.values(template.findResources('AWS::Lambda::Function')).map(
    (resource) => (resource as { Properties: FunctionProperties }).Properties,
  );
}

describe('the audit retention in the stack', () => {
  it('is 90 days by default on every function with the jobs table, the library included', () => {
    const functions = functionsOf(synth());
    const withJobs = functions.filter((fn) => fn.Environment?.Variables?.JOBS_TABLE !== undefined);
    assert.ok(withJobs.length >= 15, `${withJobs.length} functions have the jobs table`);
    for (const fn of withJobs)
      assert.equal(fn.Environment?.Variables?.AUDIT_RETENTION_DAYS, '90', fn.Description);
    const library = functions.find((fn) => fn.Description?.startsWith('/api/v1/library'));
    assert.ok(library?.Environment?.Variables?.JOBS_TABLE, 'the library records its refusals');
    assert.ok(functions.some((fn) => fn.Description?.startsWith('GET /audit')));
  });

  it('takes the auditRetentionDays context, and refuses a value that is not a number of days', () => {
    const functions = functionsOf(synth({ auditRetentionDays: '30' }));
    const values = new Set(
      functions
        .filter((fn) => fn.Environment?.Variables?.JOBS_TABLE !== undefined)
        .map((fn) => fn.Environment?.Variables?.AUDIT_RETENTION_DAYS),
    );
    assert.deepEqual([...values], ['30']);
    for (const bad of ['0', 'ninety', '1.5', '100000']) {
      assert.throws(() => synth({ auditRetentionDays: bad }), /Invalid audit retention/, bad);
    }
  });

  it('lets the library function only add items to the jobs table', () => {
    const template = synth();
    const policies = Object.entries(template.findResources('AWS::IAM::Policy')).filter(([id]) =>
      id.startsWith('LibraryFn'),
    );
    assert.equal(policies.length, 1);
    const statements = (
      policies[0]![1] as {
        Properties: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } };
      }
    ).Properties.PolicyDocument.Statement;
    const onJobs = statements.filter((statement) =>
      JSON.stringify(statement.Resource).includes('StorageJobs'),
    );
    assert.deepEqual(
      onJobs.map((statement) => statement.Action),
      ['dynamodb:PutItem'],
    );
  });
});
