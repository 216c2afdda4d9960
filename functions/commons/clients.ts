import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/**
 * AWS SDK clients, one per process (module-level singletons, created on first use).
 * Endpoints come from the SDK's own AWS_ENDPOINT_URL_<SERVICE> variables, so the same
 * code talks to AWS or to the local emulators.
 */
let dynamo: DynamoDBDocumentClient | undefined;
let sqs: SQSClient | undefined;
let ses: SESv2Client | undefined;
let secretsManager: SecretsManagerClient | undefined;

export function dynamoClient(): DynamoDBDocumentClient {
  dynamo ??= DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  return dynamo;
}

export function sqsClient(): SQSClient {
  sqs ??= new SQSClient({});
  return sqs;
}

export function sesClient(): SESv2Client {
  ses ??= new SESv2Client({});
  return ses;
}

export function secretsManagerClient(): SecretsManagerClient {
  secretsManager ??= new SecretsManagerClient({});
  return secretsManager;
}

/** Lets the local runtime and tests replace a client (e.g. a fault-injecting wrapper around the real one). */
export function setClients(next: {
  dynamo?: DynamoDBDocumentClient;
  sqs?: SQSClient;
  ses?: SESv2Client;
  secretsManager?: SecretsManagerClient;
}): void {
  if (next.dynamo) dynamo = next.dynamo;
  if (next.sqs) sqs = next.sqs;
  if (next.ses) ses = next.ses;
  if (next.secretsManager) secretsManager = next.secretsManager;
}

export function resetClients(): void {
  dynamo?.destroy();
  sqs?.destroy();
  ses?.destroy();
  secretsManager?.destroy();
  dynamo = sqs = ses = undefined;
  secretsManager = undefined;
}
