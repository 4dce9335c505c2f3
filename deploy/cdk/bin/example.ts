// Two example stacks. ScopegateExample: a REST API (TOKEN authorizer, and a
// per-route REQUEST authorizer on one route) and an HTTP API, both behind
// ScopegateAuthorizer, with the alarms notifying a topic.
// ScopegateCedarExample: a REST API whose permissions are a Cedar policy
// store exported from Verified Permissions (Cognito groups), its routes
// named by the API's own id and stage. `npm run synth` writes it to cdk.out/
// (or CDK_OUTDIR) offline. SCOPEGATE_BOOTSTRAP_DIR is where
// `cargo lambda build --profile lambda` left `bootstrap`.
import * as path from 'path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as integrations from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { ScopegateAuthorizer } from '../lib/scopegate-authorizer';

const app = new App({ outdir: process.env.CDK_OUTDIR });
const stack = new Stack(app, 'ScopegateExample', { env: { region: 'eu-west-1' } });
const topic = new sns.Topic(stack, 'Alarms');
const authorizer = new ScopegateAuthorizer(stack, 'Scopegate', {
  issuer: 'https://dev-123.okta.com/oauth2/default',
  audience: 'api://default',
  permissions: {
    bucket: s3.Bucket.fromBucketName(stack, 'Config', 'my-config-bucket'),
    key: 'scopegate/permissions.json',
  },
  bootstrapDir:
    process.env.SCOPEGATE_BOOTSTRAP_DIR ?? path.join(__dirname, '..', '..', '..', '..', 'target', 'lambda', 'scopegate'),
  resultsCacheTtl: Duration.seconds(60),
  alarmTopic: topic,
});

// A stand-in backend, as in the SAM template.
const backend = new lambda.Function(stack, 'Pets', {
  runtime: lambda.Runtime.PYTHON_3_12,
  handler: 'index.handler',
  code: lambda.Code.fromInline('def handler(event, context):\n    return {"statusCode": 200, "body": "[]"}\n'),
});

const rest = new apigateway.RestApi(stack, 'RestApi', {
  restApiName: `${stack.stackName}-api`,
  deployOptions: { stageName: 'prod' },
});
const pets = rest.root.addResource('pets');
pets.addMethod('GET', new apigateway.LambdaIntegration(backend), { authorizer: authorizer.tokenAuthorizer() });
rest.root
  .addResource('pets-per-route')
  .addMethod('GET', new apigateway.LambdaIntegration(backend), { authorizer: authorizer.perRouteAuthorizer() });
authorizer.addApi5xxAlarm(rest, topic);

const http = new apigwv2.HttpApi(stack, 'HttpApi', { defaultAuthorizer: authorizer.httpAuthorizer() });
http.addRoutes({
  path: '/pets',
  methods: [apigwv2.HttpMethod.GET],
  integration: new integrations.HttpLambdaIntegration('PetsIntegration', backend),
});

// A Cedar store in S3 for a Cognito user pool's groups. The API is made
// first: its id and stage are the routes' prefix (SCOPEGATE_CEDAR_API).
const cedarStack = new Stack(app, 'ScopegateCedarExample', { env: { region: 'eu-west-1' } });
const pool = 'eu-west-1_PetPool';
const petsApi = new apigateway.RestApi(cedarStack, 'RestApi', {
  restApiName: `${cedarStack.stackName}-api`,
  deployOptions: { stageName: 'prod' },
});
const cedarAuthorizer = new ScopegateAuthorizer(cedarStack, 'Scopegate', {
  issuer: `https://cognito-idp.eu-west-1.amazonaws.com/${pool}`,
  permissions: {
    bucket: s3.Bucket.fromBucketName(cedarStack, 'Config', 'my-config-bucket'),
    key: 'scopegate/store/policies.cedar',
    cedar: {
      schemaKey: 'scopegate/store/schema.json',
      api: cedarStack.formatArn({ service: 'execute-api', resource: petsApi.restApiId, resourceName: 'prod' }),
    },
  },
  bootstrapDir:
    process.env.SCOPEGATE_BOOTSTRAP_DIR ?? path.join(__dirname, '..', '..', '..', '..', 'target', 'lambda', 'scopegate'),
  environment: {
    // Cognito access tokens carry client_id, not aud.
    SCOPEGATE_CLIENT_IDS: '1example23456789',
    SCOPEGATE_SCOPE_SOURCES: `[{"claim":"cognito:groups","format":"array","prefix":"${pool}|"}]`,
  },
});
const cedarBackend = new lambda.Function(cedarStack, 'Pets', {
  runtime: lambda.Runtime.PYTHON_3_12,
  handler: 'index.handler',
  code: lambda.Code.fromInline('def handler(event, context):\n    return {"statusCode": 200, "body": "[]"}\n'),
});
petsApi.root
  .addResource('pets')
  .addMethod('GET', new apigateway.LambdaIntegration(cedarBackend), { authorizer: cedarAuthorizer.tokenAuthorizer() });

app.synth();
