import { CfnOutput, RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  HttpApi,
  HttpMethod,
  HttpNoneAuthorizer,
  HttpStage,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AccountRecovery, Mfa, UserPool, UserPoolClient, StringAttribute } from 'aws-cdk-lib/aws-cognito';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { Stack } from 'aws-cdk-lib';
import type { ChatbookFunction } from './chatbook-function';

/** Bring your own identity provider: an issuer URL and the audiences its tokens carry. */
export interface ExternalIdentity {
  issuer: string;
  audience: string[];
}

export interface ApiRoute {
  method: HttpMethod;
  path: string;
  fn: ChatbookFunction;
  /** Public routes skip the JWT authorizer (health and the OpenAPI document). */
  public?: boolean;
}

export interface ApiProps {
  identity?: ExternalIdentity;
  routes: ApiRoute[];
  /** Serves every path no route claims, behind the authorizer. */
  fallback: ChatbookFunction;
  throttle: { rateLimit: number; burstLimit: number };
  logRetention: RetentionDays;
}

/**
 * The HTTP API: a JWT authorizer in front of every route but health and the OpenAPI document, fed by a Cognito
 * user pool that the stack creates, or by an existing issuer and audience given as context.
 */
export class Api extends Construct {
  readonly httpApi: HttpApi;
  readonly userPool?: UserPool;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);

    let identity = props.identity;
    if (!identity) {
      this.userPool = new UserPool(this, 'Users', {
        selfSignUpEnabled: false,
        signInAliases: { email: true },
        mfa: Mfa.REQUIRED,
        mfaSecondFactor: { otp: true, sms: false },
        passwordPolicy: {
          minLength: 12,
          requireDigits: true,
          requireLowercase: true,
          requireUppercase: true,
          requireSymbols: true,
        },
        accountRecovery: AccountRecovery.EMAIL_ONLY,
        customAttributes: { tier: new StringAttribute({ mutable: true }) },
        removalPolicy: RemovalPolicy.RETAIN,
      });
      const client = new UserPoolClient(this, 'WebClient', {
        userPool: this.userPool,
        authFlows: { userSrp: true },
        preventUserExistenceErrors: true,
        // Users may read their tier; only administrators set it.
        writeAttributes: undefined,
      });
      identity = {
        issuer: `https://cognito-idp.${Stack.of(this).region}.amazonaws.com/${this.userPool.userPoolId}`,
        audience: [client.userPoolClientId],
      };
      new CfnOutput(this, 'UserPoolId', { value: this.userPool.userPoolId });
      new CfnOutput(this, 'UserPoolClientId', { value: client.userPoolClientId });
    }

    const authorizer = new HttpJwtAuthorizer('Jwt', identity.issuer, { jwtAudience: identity.audience });
    this.httpApi = new HttpApi(this, 'Http', {
      description: 'Chatbooks Cloud API',
      createDefaultStage: false,
      defaultAuthorizer: authorizer,
      defaultIntegration: new HttpLambdaIntegration('Fallback', props.fallback),
    });

    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    new HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            routeKey: '$context.routeKey',
            status: '$context.status',
            latencyMs: '$context.responseLatency',
            authorizerError: '$context.authorizer.error',
          }),
        ),
      },
    });

    // One integration per function: a function may serve several routes of its resource.
    const integrations = new Map<ChatbookFunction, HttpLambdaIntegration>();
    for (const route of props.routes) {
      let integration = integrations.get(route.fn);
      if (!integration) {
        integration = new HttpLambdaIntegration(`${route.fn.node.id}Integration`, route.fn);
        integrations.set(route.fn, integration);
      }
      this.httpApi.addRoutes({
        path: route.path,
        methods: [route.method],
        integration,
        ...(route.public ? { authorizer: new HttpNoneAuthorizer() } : {}),
      });
    }

    new CfnOutput(this, 'ApiUrl', { value: this.httpApi.apiEndpoint });
  }
}
