import type { IConstruct } from 'constructs';

/** A construct was given settings that would deploy a broken or unsafe system; thrown at synth time. */
export class InfraConfigError extends Error {
  override readonly name = 'InfraConfigError';

  constructor(scope: IConstruct, message: string, options?: ErrorOptions) {
    super(`${scope.node.path}: ${message}`, options);
  }
}
