import { Stack, Validations } from 'aws-cdk-lib';
import type { CfnResource, IResource } from 'aws-cdk-lib';

/** `<LogicalId.Arn>` as cdk-nag prints a resource's ARN in a finding. */
function arnToken(resource: IResource): string {
  const stack = Stack.of(resource);
  return `<${stack.getLogicalId(resource.node.defaultChild as CfnResource)}.Arn>`;
}

export interface NagSubjects {
  /** The web page's CloudFront distribution. */
  siteDistribution: IResource;
  tables: IResource[];
  bucket: IResource;
  /** Functions the state machines invoke (their `:*` version/alias wildcard). */
  workflowFunctions: IResource[];
  /** State machines whose executions an API function may stop (cancel). */
  stoppableMachines: IResource[];
}

/** `<machine name>` as cdk-nag prints the name part of an execution ARN built from a state machine's ARN. */
function machineNameToken(machine: IResource): string {
  const stack = Stack.of(machine);
  const ref = JSON.stringify({ Ref: stack.getLogicalId(machine.node.defaultChild as CfnResource) });
  return `{"Fn::Select":[6,{"Fn::Split":[":",${ref}]}]}`;
}

/**
 * The AwsSolutions findings this stack accepts, each with its reason; anything else fails synth.
 * Identifiers are computed from the constructs, so renaming a resource keeps them right.
 */
export function acknowledgeNagFindings(stack: Stack, subjects: NagSubjects): void {
  const accept = (id: string, reason: string) => {
    Validations.of(stack).acknowledge({ id: `AwsSolutions-${id}`, reason });
  };

  accept(
    'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    'The AWS managed basic execution role only lets a function write its own CloudWatch logs.',
  );
  accept(
    'IAM5[Resource::*]',
    'X-Ray trace segments and Step Functions log delivery APIs do not support resource-level permissions.',
  );
  for (const table of subjects.tables) {
    accept(
      `IAM5[Resource::${arnToken(table)}/index/*]`,
      'Queries use the table indexes; every key starts with the verified user partition.',
    );
  }
  accept(
    `IAM5[Resource::${arnToken(subjects.bucket)}/*]`,
    'The service owns this one bucket; objects are scoped per user by key prefix in the code that builds keys.',
  );
  for (const action of ['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*']) {
    accept(
      `IAM5[Action::${action}]`,
      'CDK grant helpers on the service bucket: reads, listing, multipart abort and deletes of its own objects.',
    );
  }
  for (const fn of subjects.workflowFunctions) {
    accept(
      `IAM5[Resource::${arnToken(fn)}:*]`,
      'Step Functions may invoke any version or alias of this workflow function.',
    );
  }
  for (const machine of subjects.stoppableMachines) {
    accept(
      `IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${machineNameToken(machine)}:*]`,
      'Cancelling a job stops its execution; execution names are per job, so the grant covers the executions of this one state machine.',
    );
  }
  accept(
    'COG8',
    'Cognito Plus (threat protection) is a cost choice left to the operator; MFA is required and sign-up is closed.',
  );
  // The web page's distribution only.
  const acceptForSite = (id: string, reason: string) => {
    Validations.of(subjects.siteDistribution).acknowledge({ id: `AwsSolutions-${id}`, reason });
  };
  acceptForSite(
    'CFR4',
    'The distribution uses the default *.cloudfront.net certificate, whose viewer TLS policy CloudFront sets; a custom domain with its own certificate sets TLSv1.2_2021.',
  );
  acceptForSite('CFR1', 'Chatbooks serves its users wherever they are; no country is excluded by design.');
  acceptForSite(
    'CFR2',
    'The site is static files and the API behind it is throttled per stage and authenticated per request; a WAF web ACL (with its cost) is left to the operator.',
  );
  accept(
    'APIG4',
    'GET /health and GET /api/v1/openapi.json are public on purpose: readiness, and the API document; neither reveals anything about users or data.',
  );
}
