import { ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { Asl } from '../../functions/journeys/state-machine.js';
import type { ModelRegistry } from './model-registry.js';
import type { WinbackFunction } from './winback-function.js';

export interface DistributedJobStateMachineProps {
  /** The state machine's name (the Distributed Map starts child executions of the machine by its ARN, which the role's policy must name without a reference loop). */
  readonly stateMachineName: string;
  readonly comment: string;
  readonly definition: Asl;
  readonly invokes: readonly WinbackFunction[];
  readonly registry: ModelRegistry;
  /** Below jobs/: where the plan writes the manifests the ItemReader reads. */
  readonly manifestPrefix: string;
  /** Below jobs/: the ResultWriter's prefix. */
  readonly resultPrefix: string;
  readonly logGroup: logs.ILogGroup;
}

/**
 * A Standard state machine running one of the distributed jobs' ASL (functions/jobs/distributed-
 * definitions.ts, the same JSON the local runner executes) with what a Distributed Map needs:
 * lambda:InvokeFunction on its functions, s3:GetObject on the manifests (ItemReader), s3:PutObject
 * on its results (ResultWriter), and states:StartExecution on itself with Describe/Stop on its
 * executions (the child executions).
 */
export class DistributedJobStateMachine extends Construct {
  public readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: DistributedJobStateMachineProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: props.stateMachineName,
      comment: props.comment,
      stateMachineType: sfn.StateMachineType.STANDARD,
      // The same JSON the local runner executes; CDK resolves the ARN and bucket tokens inside it.
      definitionBody: sfn.DefinitionBody.fromString(stack.toJsonString(props.definition)),
      tracingEnabled: true,
      logs: {
        destination: props.logGroup,
        level: sfn.LogLevel.ALL,
        // State inputs and outputs stay out of the log: batches name customer id ranges, and the log
        // group is readable by more people than the table. The execution history keeps them.
        includeExecutionData: false,
      },
    });
    const role = this.stateMachine.role;
    // Unqualified ARNs only (the ASL names no version or alias): no `:*` wildcard.
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: props.invokes.map((f) => f.function.functionArn) }));
    props.registry.grantJobObjects(this.stateMachine, props.manifestPrefix, ['s3:GetObject'], 'the manifests the Distributed Map reads (ItemReader)');
    props.registry.grantJobObjects(
      this.stateMachine,
      props.resultPrefix,
      ['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
      "the Distributed Map's results (ResultWriter)",
    );
    const machineArn = stack.formatArn({ service: 'states', resource: 'stateMachine', resourceName: props.stateMachineName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const executions = stack.formatArn({ service: 'states', resource: 'execution', resourceName: `${props.stateMachineName}/*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [machineArn] }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['states:DescribeExecution', 'states:StopExecution'], resources: [executions] }));

    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'Only the actions with no resource-level permissions use "*": CloudWatch Logs vended-log delivery and X-Ray, as Step Functions documents for logging and tracing.',
    });
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${props.stateMachineName}/*]`,
      reason: "Describe and stop this state machine's own executions (the Distributed Map's child executions), whose names Step Functions generates.",
    });
  }
}
