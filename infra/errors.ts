import { Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** A construct was given settings that would deploy a broken or unsafe system; thrown at synth time. */
export class InfraConfigError extends Error {
  override readonly name = 'InfraConfigError';

  constructor(scope: IConstruct, message: string, options?: ErrorOptions) {
    super(`${scope.node.path}: ${message}`, options);
  }
}

/**
 * Throws unless `value` is an integer from `min` to `max`; a token (resolved at deploy time) is
 * let through. `limit` says where the bounds come from, e.g. "(Lambda's limits)".
 */
export function requireIntegerIn(scope: IConstruct, name: string, value: number, min: number, max: number, limit = ''): void {
  if (Token.isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InfraConfigError(scope, `${name} must be an integer from ${min} to ${max}${limit ? ` ${limit}` : ''}, got ${value}`);
  }
}
