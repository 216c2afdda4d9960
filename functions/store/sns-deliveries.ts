import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoClient } from '../commons/clients.js';
import { TABLE } from '../../kernel/settings.js';

/**
 * SNS MessageIds already accepted on POST /v1/email-events. A signed notification can be replayed
 * by anyone who saw it; the first delivery claims its MessageId, later ones are acknowledged and
 * dropped. Claims expire (TTL) after the freshness window, past which a replay is refused as stale.
 */
const snsPk = (messageId: string): string => `SNSMSG#${messageId}`;
const SNS_SK = 'SEEN';

/** True when this call is the first to claim `messageId`; false for a replay. */
export async function claimSnsMessage(table: string, messageId: string, now: Date, keepSeconds: number): Promise<boolean> {
  try {
    await dynamoClient().send(
      new PutCommand({
        TableName: table,
        Item: { pk: snsPk(messageId), sk: SNS_SK, at: now.toISOString(), [TABLE.ttlAttribute]: Math.floor(now.getTime() / 1000) + keepSeconds },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException || (error as Error).name === 'ConditionalCheckFailedException') return false;
    throw error;
  }
}

/** Gives a claim back when what it guarded did not happen (the queue refused the message), so SNS's retry gets through. */
export async function releaseSnsMessage(table: string, messageId: string): Promise<void> {
  await dynamoClient().send(new DeleteCommand({ TableName: table, Key: { pk: snsPk(messageId), sk: SNS_SK } }));
}
