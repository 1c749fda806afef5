/**
 * Resolves the CloudFormation intrinsics the synthesized template uses (Ref, Fn::GetAtt, Fn::Join, Fn::Sub,
 * Fn::Select, Fn::Split and the pseudo parameters) to the local cloud's deterministic physical names.
 */
export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '000000000000';

export interface TemplateResource {
  Type: string;
  Properties?: Record<string, unknown>;
}

export interface Template {
  Resources: Record<string, TemplateResource>;
}

const PSEUDO: Record<string, string> = {
  'AWS::Region': LOCAL_REGION,
  'AWS::AccountId': LOCAL_ACCOUNT,
  'AWS::Partition': 'aws',
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::StackName': 'ChatbooksCloud',
  'AWS::NoValue': '',
};

/** The local name of a resource, as Ref returns it. */
export function physicalName(logicalId: string, type: string): string {
  switch (type) {
    case 'AWS::S3::Bucket':
      return `local-${logicalId.toLowerCase()}`.slice(0, 63);
    case 'AWS::StepFunctions::StateMachine':
      return `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${logicalId}`;
    default:
      return logicalId;
  }
}

export function functionArn(logicalId: string): string {
  return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${logicalId}`;
}

function attribute(template: Template, logicalId: string, name: string): string {
  const resource = template.Resources[logicalId];
  if (!resource) throw new Error(`Fn::GetAtt names an unknown resource ${logicalId}`);
  if (name === 'Arn') {
    switch (resource.Type) {
      case 'AWS::Lambda::Function':
        return functionArn(logicalId);
      case 'AWS::DynamoDB::Table':
        return `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/${logicalId}`;
      case 'AWS::S3::Bucket':
        return `arn:aws:s3:::${physicalName(logicalId, resource.Type)}`;
      default:
        return `arn:aws:local:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${logicalId}`;
    }
  }
  return `${logicalId}.${name}`;
}

export function resolve(template: Template, value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => resolve(template, item));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1) {
    const [key, arg] = entries[0]!;
    switch (key) {
      case 'Ref': {
        const name = String(arg);
        if (name in PSEUDO) return PSEUDO[name];
        const resource = template.Resources[name];
        if (!resource) throw new Error(`Ref names an unknown resource ${name}`);
        return physicalName(name, resource.Type);
      }
      case 'Fn::GetAtt': {
        const [logicalId, name] = (Array.isArray(arg) ? arg : String(arg).split('.')) as unknown[];
        return attribute(template, String(logicalId), String(name));
      }
      case 'Fn::Join': {
        const [separator, parts] = arg as [string, unknown[]];
        return (resolve(template, parts) as unknown[]).map(String).join(separator);
      }
      case 'Fn::Select': {
        const [index, list] = arg as [number, unknown];
        return (resolve(template, list) as unknown[])[index];
      }
      case 'Fn::Split': {
        const [separator, text] = arg as [string, unknown];
        return String(resolve(template, text)).split(separator);
      }
      case 'Fn::Sub': {
        const [text, variables] = (Array.isArray(arg) ? arg : [arg, {}]) as [string, Record<string, unknown>];
        return text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
          if (name in variables) return String(resolve(template, variables[name]));
          const [ref, att] = name.split('.');
          return String(att ? attribute(template, ref!, att) : resolve(template, { Ref: ref }));
        });
      }
      default:
        break;
    }
  }
  return Object.fromEntries(entries.map(([key, item]) => [key, resolve(template, item)]));
}
