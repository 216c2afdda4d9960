import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { JourneyStartError, JourneyStarterMissingError } from './errors.js';
import { fanoutExecutionName, journeyExecutionName, type JourneyKey } from './execution-name.js';
import type { FanoutInput, JourneyInput } from './journey-state.js';

/**
 * How triggers and the fan-out start journeys. In AWS: StartExecution on the journey state
 * machine with the deterministic name; locally: the in-process runner of
 * scripts/local/stepfunctions.ts, which runs the same ASL. Either way a name that was already
 * used is a success (`started: false`): a duplicated trigger converges to one journey.
 */
export interface StartResult {
  readonly executionName: string;
  /** false: an execution of that name already exists (duplicate trigger), nothing new started. */
  readonly started: boolean;
}

export interface JourneyStarter {
  startJourney(input: JourneyInput): Promise<StartResult>;
  startFanout(input: FanoutInput): Promise<StartResult>;
}

let sfn: SFNClient | undefined;
function sfnClient(): SFNClient {
  sfn ??= new SFNClient({});
  return sfn;
}

export class StepFunctionsStarter implements JourneyStarter {
  constructor(private readonly arns: { readonly journey?: string; readonly fanout?: string }) {}

  startJourney(input: JourneyInput): Promise<StartResult> {
    return this.start(this.arns.journey, journeyExecutionName(input), input, 'JOURNEY_STATE_MACHINE_ARN');
  }

  startFanout(input: FanoutInput): Promise<StartResult> {
    return this.start(this.arns.fanout, fanoutExecutionName(input.campaignId, input.runId), input, 'FANOUT_STATE_MACHINE_ARN');
  }

  private async start(arn: string | undefined, name: string, input: object, setting: string): Promise<StartResult> {
    if (!arn) throw new JourneyStarterMissingError(`${setting} is not set`);
    try {
      await sfnClient().send(new StartExecutionCommand({ stateMachineArn: arn, name, input: JSON.stringify(input) }));
      return { executionName: name, started: true };
    } catch (error) {
      // Same name within 90 days (running with another input, or closed): the journey exists.
      if (error instanceof ExecutionAlreadyExists) return { executionName: name, started: false };
      const name_ = (error as Error)?.name ?? '';
      if (/Throttl|TooManyRequests|ServiceUnavailable|InternalError|Timeout|ECONNRESET/i.test(name_)) {
        throw new JourneyStartError(`StartExecution failed (${name_})`, { cause: error });
      }
      throw error;
    }
  }
}

let current: JourneyStarter | undefined;

/** The process's starter: the one set by the local runtime, else Step Functions from the config. */
export function journeyStarter(arns: { journey?: string; fanout?: string }): JourneyStarter {
  current ??= new StepFunctionsStarter(arns);
  return current;
}

/** The local runtime and tests install the in-process runner here (like setClients for SDK clients). */
export function setJourneyStarter(starter: JourneyStarter | undefined): void {
  current = starter;
}

export type { JourneyKey };
