import { WinbackError } from '../../kernel/errors.js';

/** One problem in a campaign file: the file, the path inside it, the reason, and where it is. */
export interface CampaignIssue {
  readonly file: string;
  /** `steps[2].wait.duration` style; '(file)' for problems with the file as a whole. */
  readonly path: string;
  readonly message: string;
  readonly line?: number;
  readonly column?: number;
}

export function formatIssue(issue: CampaignIssue): string {
  const where = issue.line !== undefined ? `${issue.file}:${issue.line}:${issue.column ?? 1}` : issue.file;
  return `${where}: ${issue.path}: ${issue.message}`;
}

/** One or more campaign files are invalid; `issues` names each file, path and reason. */
export class CampaignDefinitionError extends WinbackError {
  constructor(readonly issues: readonly CampaignIssue[]) {
    super(
      issues.length === 1
        ? formatIssue(issues[0]!)
        : `${issues.length} problems in campaign files:\n${issues.map((i) => `  ${formatIssue(i)}`).join('\n')}`,
    );
  }
}

export class CampaignNotFoundError extends WinbackError {}

/** A template file is missing or its syntax is broken (unclosed block, unknown helper). */
export class TemplateError extends WinbackError {
  constructor(
    message: string,
    readonly template: string,
    readonly line?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** An unsubscribe / preference token that is malformed, forged, altered or expired. */
export class InvalidTokenError extends WinbackError {
  constructor(
    message: string,
    readonly reason: 'malformed' | 'signature' | 'expired',
  ) {
    super(message);
  }
}

export class CouponNotFoundError extends WinbackError {}
export class CouponAlreadyRedeemedError extends WinbackError {
  constructor(
    readonly code: string,
    readonly redeemedBy: string,
  ) {
    super(`coupon ${code} was already redeemed`);
  }
}
export class CouponExpiredError extends WinbackError {}
/** Two different entries derived the same code (a 50-bit HMAC prefix collided): never silently shared. */
export class CouponCollisionError extends WinbackError {}
