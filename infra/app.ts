import { App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { WinbackStack } from './winback-stack.js';

/**
 * The CDK app (`npx cdk synth|deploy`; cdk.json runs it through tsx). cdk-nag's AWS Solutions
 * rules run as a validation plugin: an unacknowledged error fails the synth.
 */
const app = new App();
new WinbackStack(app, 'WinbackStack', {
  // Write keys come from the context: `-c writeKeys='{"wk_...":"web"}'` or cdk.json.
  description: 'winback: event ingestion (HTTP API, SES events) into the DynamoDB event log; model training and scoring jobs',
});
Tags.of(app).add('project', 'winback');
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
