import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from './emulators.js';

/**
 * A Lambda-like invocation context. Middleware (middy, Powertools logger) reads these fields,
 * and getRemainingTimeInMillis counts down from the function's timeout as in Lambda.
 */
export interface LambdaFunctionInfo {
  readonly functionName: string;
  /** Lambda timeout; the runtime gives up on the invocation after it. */
  readonly timeoutSeconds: number;
  readonly memoryLimitInMB?: number;
}

export function createLambdaContext(fn: LambdaFunctionInfo, now: number = Date.now()): Context {
  const deadline = now + fn.timeoutSeconds * 1000;
  const unsupported = (what: string) => (): never => {
    throw new Error(`context.${what}() is deprecated and not supported by the local runtime; return a value instead`);
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: fn.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:${fn.functionName}`,
    memoryLimitInMB: String(fn.memoryLimitInMB ?? 1024),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${fn.functionName}`,
    logStreamName: `local/[$LATEST]${randomUUID().replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported('done'),
    fail: unsupported('fail'),
    succeed: unsupported('succeed'),
  };
}
