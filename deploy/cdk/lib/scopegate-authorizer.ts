// ScopegateAuthorizer: the scopegate Lambda authorizer as a CDK construct,
// the same function, settings, cache keys, alarms and dashboard as the SAM
// template (deploy/template.yaml); tests/cdk.rs synthesizes it offline,
// runs cfn-lint on the output and holds it to the SAM template.
import * as fs from 'fs';
import * as path from 'path';
import { Duration, Fn, Names, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/**
 * Where the permissions live: one S3 object (our JSON document), a DynamoDB
 * table (an item per scope), or a Cedar policy store: a `.cedar` policy set
 * and its schema in one bucket (docs/src/permissions.md, "Cedar policy stores").
 */
export type PermissionsSource =
  | { readonly bucket: s3.IBucket; readonly key: string }
  | { readonly table: dynamodb.ITable }
  | { readonly bucket: s3.IBucket; readonly key: string; readonly cedar: CedarStore };

/** The rest of a Cedar policy store beside its policies. */
export interface CedarStore {
  /** The schema's key in the same bucket (SCOPEGATE_CEDAR_SCHEMA). */
  readonly schemaKey: string;
  /**
   * The API and stage the schema's actions are routes of, `arn:…:APIID/STAGE`
   * (SCOPEGATE_CEDAR_API): literal, no wildcard.
   */
  readonly api: string;
}

export interface ScopegateAuthorizerProps {
  /** The exact `iss` accepted (SCOPEGATE_ISSUER). */
  readonly issuer: string;
  /**
   * Accepted audiences, comma-separated (SCOPEGATE_AUDIENCE). Leave it out
   * for tokens with no `aud` (Cognito access tokens) and set
   * SCOPEGATE_CLIENT_IDS in `environment`.
   */
  readonly audience?: string;
  /** The trusted keys (SCOPEGATE_JWKS). Defaults to `discover`. */
  readonly jwks?: string;
  /** The permissions document; the function may read it and nothing else. */
  readonly permissions: PermissionsSource;
  /** The directory holding `bootstrap` (`cargo lambda build --profile lambda`). */
  readonly bootstrapDir: string;
  /** Defaults to arm64 (build with `--arm64`; `--x86-64` for X86_64). */
  readonly architecture?: lambda.Architecture;
  /** Defaults to 128 MB. */
  readonly memorySize?: number;
  /** Defaults to 5 s (API Gateway gives an authorizer at most 29 s). */
  readonly timeout?: Duration;
  /** authorizerResultTtlInSeconds; choose it with `scopegate-lab sweep`. Defaults to 300 s. */
  readonly resultsCacheTtl?: Duration;
  /** EMF namespace and service dimension. Default to `scopegate`. */
  readonly metricsNamespace?: string;
  readonly serviceName?: string;
  /** Alarms notify this topic when given. */
  readonly alarmTopic?: sns.ITopic;
  /** Lambda Duration p99 above which ScopegateSlowAnswers fires. Defaults to 50 ms. */
  readonly alarmDurationP99Ms?: number;
  /** Share of 401 decisions above which ScopegateUnauthorizedSpike fires. Defaults to 50 %. */
  readonly alarmUnauthorizedPercent?: number;
  /** Extra settings (any `SCOPEGATE_*`; a misspelt one stops the function at start). */
  readonly environment?: Record<string, string>;
}

/** The JWT shape a TOKEN authorizer lets through without invoking the function. */
const BEARER_JWT = '^Bearer [-0-9A-Za-z_]+\\.[-0-9A-Za-z_]+\\.[-0-9A-Za-z_]+$';

export class ScopegateAuthorizer extends Construct {
  readonly function: lambda.Function;
  readonly resultsCacheTtl: Duration;
  readonly alarms: cloudwatch.Alarm[] = [];
  private readonly namespace: string;
  private readonly service: string;

  constructor(scope: Construct, id: string, props: ScopegateAuthorizerProps) {
    super(scope, id);
    this.namespace = props.metricsNamespace ?? 'scopegate';
    this.service = props.serviceName ?? 'scopegate';
    this.resultsCacheTtl = props.resultsCacheTtl ?? Duration.seconds(300);
    const functionName = `${Stack.of(this).stackName}-authorizer`;
    const source = props.permissions;
    const permissions =
      'table' in source ? `dynamodb://${source.table.tableName}` : `s3://${source.bucket.bucketName}/${source.key}`;
    const cedar: Record<string, string> =
      'cedar' in source
        ? {
            SCOPEGATE_CEDAR_SCHEMA: `s3://${source.bucket.bucketName}/${source.cedar.schemaKey}`,
            SCOPEGATE_CEDAR_API: source.cedar.api,
          }
        : {};
    const audience: Record<string, string> =
      props.audience === undefined ? {} : { SCOPEGATE_AUDIENCE: props.audience };
    this.function = new lambda.Function(this, 'Function', {
      functionName,
      runtime: lambda.Runtime.PROVIDED_AL2023,
      handler: 'bootstrap',
      code: lambda.Code.fromAsset(props.bootstrapDir),
      architecture: props.architecture ?? lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 128,
      timeout: props.timeout ?? Duration.seconds(5),
      logGroup: new logs.LogGroup(this, 'Logs', {
        logGroupName: `/aws/lambda/${functionName}`,
        retention: logs.RetentionDays.ONE_MONTH,
      }),
      environment: {
        SCOPEGATE_ISSUER: props.issuer,
        ...audience,
        SCOPEGATE_JWKS: props.jwks ?? 'discover',
        SCOPEGATE_PERMISSIONS: permissions,
        ...cedar,
        // Complete IAM policies for every form: right on every route
        // whatever the cache key (a simple response is decided for one route).
        SCOPEGATE_SIMPLE_RESPONSE: 'false',
        SCOPEGATE_METRICS_FLUSH: 'aggregated',
        POWERTOOLS_METRICS_NAMESPACE: this.namespace,
        POWERTOOLS_SERVICE_NAME: this.service,
        ...props.environment,
      },
    });
    // Least privilege: the permissions object (and a Cedar store's schema),
    // or Scan on the one table.
    if ('table' in source) {
      this.function.addToRolePolicy(
        new iam.PolicyStatement({ actions: ['dynamodb:Scan'], resources: [source.table.tableArn] }),
      );
    } else {
      const keys = 'cedar' in source ? [source.key, source.cedar.schemaKey] : [source.key];
      this.function.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['s3:GetObject'],
          resources: keys.map((key) => source.bucket.arnForObjects(key)),
        }),
      );
    }
    this.addAlarms(props, functionName);
    this.addDashboard(functionName, props.memorySize ?? 128);
  }

  /** REST TOKEN authorizer keyed by `Authorization`: the complete policy is right on every route. */
  tokenAuthorizer(): apigateway.TokenAuthorizer {
    return new apigateway.TokenAuthorizer(this, 'Token', {
      handler: this.function,
      identitySource: apigateway.IdentitySource.header('Authorization'),
      validationRegex: BEARER_JWT,
      resultsCacheTtl: this.resultsCacheTtl,
    });
  }

  /**
   * REST REQUEST authorizer keyed by token, method and path: where a token's
   * answer is per route (a policy over the budget) and still right.
   */
  perRouteAuthorizer(): apigateway.RequestAuthorizer {
    return new apigateway.RequestAuthorizer(this, 'PerRoute', {
      handler: this.function,
      identitySources: [
        apigateway.IdentitySource.header('Authorization'),
        apigateway.IdentitySource.context('httpMethod'),
        apigateway.IdentitySource.context('path'),
      ],
      resultsCacheTtl: this.resultsCacheTtl,
    });
  }

  /**
   * HTTP API authorizer keyed by `Authorization`, payload 2.0 answering IAM
   * policies (not simple responses), as the SAM template deploys it.
   */
  httpAuthorizer(): apigwv2.IHttpRouteAuthorizer {
    return new HttpIamAuthorizer('ScopegateHttp', this.function, this.resultsCacheTtl);
  }

  private emf(name: string, dims: Record<string, string>, statistic = 'Sum'): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: this.namespace,
      metricName: name,
      dimensionsMap: { service: this.service, function_name: this.function.functionName, ...dims },
      statistic,
      period: Duration.minutes(5),
    });
  }

  private alarm(name: string, description: string, metric: cloudwatch.IMetric, threshold: number, periods: number, datapoints = periods): void {
    const alarm = new cloudwatch.Alarm(this, name, {
      alarmName: `${Stack.of(this).stackName}-${name}`,
      alarmDescription: `${description} Runbook: docs/runbook.md#${name.toLowerCase()}`,
      metric,
      threshold,
      evaluationPeriods: periods,
      datapointsToAlarm: datapoints,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.alarms.push(alarm);
  }

  /** The SAM template's alarms (docs/runbook.md): the API 5xx alarm is the caller's, per API. */
  private addAlarms(props: ScopegateAuthorizerProps, functionName: string): void {
    const e = (name: string, dims: Record<string, string> = {}, statistic = 'Sum') => this.emf(name, dims, statistic);
    const math = (expression: string, usingMetrics: Record<string, cloudwatch.IMetric>) =>
      new cloudwatch.MathExpression({ expression, usingMetrics, period: Duration.minutes(5) });
    const lambdaMetric = (name: string, statistic: string) =>
      new cloudwatch.Metric({ namespace: 'AWS/Lambda', metricName: name, dimensionsMap: { FunctionName: functionName }, statistic, period: Duration.minutes(5) });
    this.alarm('ScopegateKeysUnavailable', 'Tokens are refused because the IdP keys cannot be used.',
      e('scopegate_decisions_total', { outcome: 'unauthorized', reason: 'keys_unavailable' }), 0, 1);
    this.alarm('ScopegatePermissionsUnavailable', 'Every request is refused: the permissions document is past its maximum staleness.',
      e('scopegate_decisions_total', { outcome: 'unauthorized', reason: 'permissions_unavailable' }), 0, 1);
    this.alarm('ScopegateJwksFetchFailing', 'Every JWKS or discovery fetch for 15 minutes failed; keys go stale.',
      math('IF(FILL(errors, 0) > 0, IF(FILL(ok, 0) + FILL(same, 0) == 0, 1, 0), 0)', {
        errors: e('scopegate_jwks_fetches_total', { result: 'error' }),
        ok: e('scopegate_jwks_fetches_total', { result: 'ok' }),
        same: e('scopegate_jwks_fetches_total', { result: 'not_modified' }),
      }), 0, 3);
    this.alarm('ScopegatePermissionsFetchFailing', 'The permissions document cannot be refreshed for 15 minutes; the last good one is served.',
      math('IF(FILL(errors, 0) + FILL(invalid, 0) > 0, IF(FILL(ok, 0) + FILL(same, 0) == 0, 1, 0), 0)', {
        errors: e('scopegate_permissions_fetches_total', { result: 'error' }),
        invalid: e('scopegate_permissions_fetches_total', { result: 'invalid' }),
        ok: e('scopegate_permissions_fetches_total', { result: 'ok' }),
        same: e('scopegate_permissions_fetches_total', { result: 'not_modified' }),
      }), 0, 3);
    this.alarm('ScopegateIntrospectionFailing', 'More than 5 % of introspection calls fail; those tokens get 401.',
      math('100 * FILL(errors, 0) / (FILL(errors, 0) + FILL(active, 0) + FILL(inactive, 0) + 1)', {
        errors: e('scopegate_introspections_total', { result: 'error' }),
        active: e('scopegate_introspections_total', { result: 'active' }),
        inactive: e('scopegate_introspections_total', { result: 'inactive' }),
      }), 5, 1);
    this.alarm('ScopegateUnauthorizedSpike', 'More than AlarmUnauthorizedPercent of decisions are 401 for 10 minutes.',
      math('IF(FILL(handled, 0) > 300, 100 * (handled - FILL(allow, 0) - FILL(deny, 0)) / handled, 0)', {
        handled: e('scopegate_handler_seconds', {}, 'SampleCount'),
        allow: e('scopegate_decisions_total', { outcome: 'allow', reason: 'granted' }),
        deny: e('scopegate_decisions_total', { outcome: 'deny', reason: 'no_grant' }),
      }), props.alarmUnauthorizedPercent ?? 50, 2);
    this.alarm('ScopegatePolicyOverflow', 'Some tokens complete policy is over SCOPEGATE_POLICY_MAX_BYTES; they are answered per route or refused.',
      math('FILL(route, 0) + FILL(refused, 0)', {
        route: e('scopegate_policy_overflow_total', { action: 'route' }),
        refused: e('scopegate_policy_overflow_total', { action: 'unauthorized' }),
      }), 0, 1);
    this.alarm('ScopegateThrottles', 'The authorizer Lambda is throttled; API Gateway answers those requests 500.',
      lambdaMetric('Throttles', 'Sum'), 0, 1);
    this.alarm('ScopegateSlowAnswers', 'The authorizer Lambda Duration p99 is over AlarmDurationP99Ms for 15 minutes.',
      lambdaMetric('Duration', 'p99'), props.alarmDurationP99Ms ?? 50, 3);
    this.alarm('ScopegateFailedInvocations', 'Invocations that ended without a decision (a crash, a timeout, a failed INIT): a 401 is a decision, not a failure.',
      math('IF(FILL(invocations, 0) > 0, 100 * (invocations - FILL(handled, 0)) / invocations, 0)', {
        invocations: lambdaMetric('Invocations', 'Sum'),
        handled: e('scopegate_handler_seconds', {}, 'SampleCount'),
      }), 5, 3, 2);
    if (props.alarmTopic) {
      for (const alarm of this.alarms) {
        alarm.addAlarmAction(new actions.SnsAction(props.alarmTopic));
        alarm.addOkAction(new actions.SnsAction(props.alarmTopic));
      }
    }
  }

  /** ScopegateApi5xx for one REST API stage (the SAM template's last alarm). */
  addApi5xxAlarm(api: apigateway.RestApi, topic?: sns.ITopic): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, 'ScopegateApi5xx', {
      alarmName: `${Stack.of(this).stackName}-ScopegateApi5xx`,
      alarmDescription: 'API Gateway answers 5xx (an authorizer that fails, times out or is throttled is a 500). Runbook: docs/runbook.md#scopegateapi5xx',
      metric: api.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 5,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (topic) {
      alarm.addAlarmAction(new actions.SnsAction(topic));
      alarm.addOkAction(new actions.SnsAction(topic));
    }
    this.alarms.push(alarm);
    return alarm;
  }

  /** The committed dashboard (dashboards/cloudwatch.json), as the SAM template embeds it. */
  private addDashboard(functionName: string, memorySize: number): void {
    const body = fs.readFileSync(path.join(__dirname, '..', '..', '..', '..', 'dashboards', 'cloudwatch.json'), 'utf8');
    new cloudwatch.CfnDashboard(this, 'Dashboard', {
      dashboardName: `${Stack.of(this).stackName}-scopegate`,
      dashboardBody: Fn.sub(body, {
        Namespace: this.namespace,
        Service: this.service,
        FunctionName: functionName,
        MemorySize: String(memorySize),
      }),
    });
  }
}

/**
 * An HTTP API Lambda authorizer with payload 2.0 and IAM policy answers. The
 * CDK's HttpLambdaAuthorizer pairs IAM answers with payload 1.0 only; this
 * is the same binding with 2.0, so the CDK and SAM deploy the same form.
 */
class HttpIamAuthorizer implements apigwv2.IHttpRouteAuthorizer {
  readonly authorizationType = 'CUSTOM';
  private authorizer?: apigwv2.HttpAuthorizer;
  private httpApi?: apigwv2.IHttpApi;

  constructor(
    private readonly id: string,
    private readonly handler: lambda.IFunction,
    private readonly resultsCacheTtl: Duration,
  ) {}

  bind(options: apigwv2.HttpRouteAuthorizerBindOptions): apigwv2.HttpRouteAuthorizerConfig {
    if (this.httpApi && this.httpApi.apiId !== options.route.httpApi.apiId) {
      throw new Error('one HTTP authorizer per API: call httpAuthorizer() for each');
    }
    if (!this.authorizer) {
      this.httpApi = options.route.httpApi;
      const stack = Stack.of(this.handler);
      this.authorizer = new apigwv2.HttpAuthorizer(options.scope, this.id, {
        httpApi: options.route.httpApi,
        type: apigwv2.HttpAuthorizerType.LAMBDA,
        authorizerName: this.id,
        identitySource: ['$request.header.Authorization'],
        payloadFormatVersion: apigwv2.AuthorizerPayloadVersion.VERSION_2_0,
        enableSimpleResponses: false,
        authorizerUri: `arn:${stack.partition}:apigateway:${stack.region}:lambda:path/2015-03-31/functions/${this.handler.functionArn}/invocations`,
        resultsCacheTtl: this.resultsCacheTtl,
      });
      this.handler.addPermission(`${Names.nodeUniqueId(this.authorizer.node)}-Permission`, {
        scope: options.scope,
        principal: new iam.ServicePrincipal('apigateway.amazonaws.com'),
        sourceArn: Stack.of(options.route).formatArn({
          service: 'execute-api',
          resource: options.route.httpApi.apiId,
          resourceName: `authorizers/${this.authorizer.authorizerId}`,
        }),
      });
    }
    return { authorizerId: this.authorizer.authorizerId, authorizationType: this.authorizationType };
  }
}
