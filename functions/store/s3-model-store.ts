import { GetObjectCommand, ListObjectsV2Command, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { checkKey, type ModelStore } from '../../models/registry/model-store.js';

/**
 * The registry in S3: `s3://<bucket>/<prefix>/<model>/...`. S3 PUTs are atomic per object, so
 * a reader sees a whole registry.json or the previous one. Loaded only through a dynamic import
 * (functions/jobs/model-registry.ts), so local runs and tests never load the S3 client.
 * The client is a module-level singleton; the endpoint comes from AWS_ENDPOINT_URL_S3 if set.
 */
let client: S3Client | undefined;
const s3 = (): S3Client => (client ??= new S3Client({}));

export class S3ModelStore implements ModelStore {
  readonly uri: string;
  private readonly prefix: string;

  constructor(
    readonly bucket: string,
    prefix: string,
    private readonly s3Client: () => S3Client = s3,
  ) {
    this.prefix = prefix.replace(/^\/+|\/+$/g, '');
    this.uri = `s3://${bucket}${this.prefix ? `/${this.prefix}` : ''}`;
  }

  private objectKey(key: string): string {
    return this.prefix ? `${this.prefix}/${checkKey(key)}` : checkKey(key);
  }

  async read(key: string): Promise<Uint8Array | undefined> {
    try {
      const out = await this.s3Client().send(new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      return out.Body ? await out.Body.transformToByteArray() : new Uint8Array();
    } catch (err) {
      if (err instanceof NoSuchKey || (err as { name?: string }).name === 'NoSuchKey') return undefined;
      throw err;
    }
  }

  async write(key: string, body: Uint8Array | string): Promise<void> {
    await this.s3Client().send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: this.objectKey(key),
        Body: body,
        ContentType: key.endsWith('.json') ? 'application/json' : 'application/octet-stream',
      }),
    );
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    const base = this.prefix ? `${this.prefix}/` : '';
    let token: string | undefined;
    do {
      const out = await this.s3Client().send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: `${base}${prefix}`, ContinuationToken: token }),
      );
      for (const o of out.Contents ?? []) if (o.Key) keys.push(o.Key.slice(base.length));
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  }
}
