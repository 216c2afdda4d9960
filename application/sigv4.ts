import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { WinbackError } from '../kernel/errors.js';

/**
 * SigV4 signing of requests to the deployed privacy routes (POST /v1/erasure[/export]), which
 * API Gateway's IAM authorizer admits only when signed for the `execute-api` service by a
 * principal allowed execute-api:Invoke on them (infra/constructs/privacy-api.ts). Credentials come
 * from the SDK's default chain (environment, shared config and SSO profiles, web identity,
 * container and instance roles), as the AWS CLI finds them.
 */
export class SigningRegionError extends WinbackError {}

export const EXECUTE_API = 'execute-api';

type Bytes = string | Uint8Array | ArrayBuffer | ArrayBufferView;
const toNode = (d: Bytes): string | Buffer => (typeof d === 'string' ? d : ArrayBuffer.isView(d) ? Buffer.from(d.buffer, d.byteOffset, d.byteLength) : Buffer.from(d));

/** SHA-256 (and HMAC-SHA-256 with a key) from node:crypto, in the shape SignatureV4 takes. */
class NodeSha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: Bytes) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toNode(secret));
  }

  update(data: Bytes): void {
    this.hash.update(toNode(data));
  }

  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
}

/**
 * The region of an API Gateway endpoint: `https://<id>.execute-api.<region>.amazonaws.com` names
 * it; a custom domain does not, so then `region` (--region), else AWS_REGION / AWS_DEFAULT_REGION.
 */
export function signingRegion(url: URL, region?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (region) return region;
  const fromHost = /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(url.hostname)?.[1];
  const found = fromHost ?? env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'];
  if (!found) throw new SigningRegionError(`cannot tell the AWS region of ${url.host}: pass --region (or set AWS_REGION)`);
  return found;
}

export interface SigningOptions {
  readonly region: string;
  /** Default: the SDK's default credential chain. */
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** For tests: the signing time. */
  readonly signingDate?: Date;
}

/** The headers (authorization, x-amz-date, x-amz-security-token when the credentials have one) of a signed JSON POST. */
export async function signedJsonPost(url: URL, body: string, opts: SigningOptions): Promise<Record<string, string>> {
  const signer = new SignatureV4({ service: EXECUTE_API, region: opts.region, credentials: opts.credentials ?? defaultProvider(), sha256: NodeSha256 });
  const query: Record<string, string> = {};
  url.searchParams.forEach((v, k) => (query[k] = v));
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query,
      headers: { host: url.host, 'content-type': 'application/json' },
      body,
    },
    opts.signingDate ? { signingDate: opts.signingDate } : {},
  );
  const headers: Record<string, string> = {};
  // fetch sets host itself (the same value); it may not be set by hand.
  for (const [k, v] of Object.entries(signed.headers)) if (k.toLowerCase() !== 'host') headers[k] = String(v);
  return headers;
}
