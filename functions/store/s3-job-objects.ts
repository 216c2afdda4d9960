import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

/** The job bucket in S3 (JobObjects of functions/store/job-objects.ts, which imports this module lazily; no import back, no loop); the endpoint comes from AWS_ENDPOINT_URL_S3 if set. */
let client: S3Client | undefined;
const s3 = (): S3Client => (client ??= new S3Client({}));

export class S3JobObjects {
  constructor(readonly bucket: string) {}

  async put(key: string, body: string): Promise<void> {
    await s3().send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: 'application/json' }));
  }

  async get(key: string): Promise<string> {
    const out = await s3().send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    return out.Body ? out.Body.transformToString() : '';
  }

  async delete(key: string): Promise<void> {
    await s3().send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const out = await s3().send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of out.Contents ?? []) if (o.Key) keys.push(o.Key);
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  }
}
