import { TABLE } from '../../kernel/settings.js';
import { DYNAMODB_ITEM_OVERHEAD_BYTES, itemSize, writeUnits, type IndexDefinition, type Item } from './dynamodb-units.js';
import type { CallStats } from './meter-snapshot.js';

type Next = (args: any) => Promise<any>;

/**
 * DynamoDB's share of the request meter: read and write request units of each call (the
 * emulator's ConsumedCapacity, plus index writes the meter works out from the items), and the
 * bytes the billable calls leave stored.
 */
export class DynamoDbMeter {
  /** pk/sk -> bytes stored for that item (table + index entries, with overhead). */
  private readonly stored = new Map<string, number>();

  constructor(private readonly indexes: readonly IndexDefinition[]) {}

  /** Bytes and items stored by billable calls so far. */
  storedTotals(): { bytes: number; items: number } {
    let bytes = 0;
    for (const b of this.stored.values()) bytes += b;
    return { bytes, items: this.stored.size };
  }

  /**
   * Runs one DynamoDB call, asking for what the meter needs (ConsumedCapacity, the new/old item)
   * and removing it from the answer again. `billable`: the call's items count as stored data.
   */
  async call(next: Next, args: any, command: string, stats: CallStats, billable: boolean): Promise<any> {
    const input = (args.input ?? {}) as Record<string, any>;
    const extra: Record<string, unknown> = {};
    const askedCapacity = input['ReturnConsumedCapacity'] !== undefined && input['ReturnConsumedCapacity'] !== 'NONE';
    if (!askedCapacity) extra['ReturnConsumedCapacity'] = 'TOTAL';
    const noReturnValues = input['ReturnValues'] === undefined || input['ReturnValues'] === 'NONE';
    if (noReturnValues && command === 'UpdateItem') extra['ReturnValues'] = 'ALL_NEW';
    if (noReturnValues && command === 'DeleteItem') extra['ReturnValues'] = 'ALL_OLD';
    stats.billedRequests++;
    let result: any;
    try {
      result = await next({ ...args, input: { ...input, ...extra } });
    } catch (error) {
      stats.errors++;
      if ((error as Error)?.name === 'ConditionalCheckFailedException') {
        stats.conditionalFailures++;
        stats.wru += command === 'PutItem' && input['Item'] ? writeUnits(itemSize(input['Item'])) : 1;
      }
      throw error;
    }
    const output = (result?.output ?? {}) as Record<string, any>;
    const consumed = ([] as Array<{ CapacityUnits?: number }>).concat(output['ConsumedCapacity'] ?? []);
    const units = consumed.reduce((s, c) => s + (c?.CapacityUnits ?? 0), 0);
    switch (command) {
      case 'GetItem':
      case 'BatchGetItem':
      case 'Query':
      case 'Scan':
      case 'TransactGetItems':
        stats.rru += units;
        break;
      case 'PutItem':
        stats.wru += units;
        stats.indexWru += this.indexWrites(input['Item']);
        this.store(input['Item'], billable);
        break;
      case 'UpdateItem': {
        stats.wru += units;
        const updated = input['ReturnValues'] === 'ALL_NEW' || extra['ReturnValues'] === 'ALL_NEW' ? (output['Attributes'] as Item | undefined) : undefined;
        stats.indexWru += this.indexWrites(updated);
        this.store(updated, billable);
        break;
      }
      case 'DeleteItem': {
        stats.wru += units;
        const old = input['ReturnValues'] === 'ALL_OLD' || extra['ReturnValues'] === 'ALL_OLD' ? (output['Attributes'] as Item | undefined) : undefined;
        stats.indexWru += this.indexWrites(old);
        this.unstore(input['Key'], billable);
        break;
      }
      case 'BatchWriteItem':
        stats.wru += units;
        this.batchWrite(input, output, stats, billable);
        break;
      default:
        stats.wru += units;
    }
    if (!askedCapacity) delete output['ConsumedCapacity'];
    if (extra['ReturnValues'] !== undefined) delete output['Attributes'];
    return result;
  }

  private batchWrite(input: Record<string, any>, output: Record<string, any>, stats: CallStats, billable: boolean): void {
    const unprocessed = new Set<string>();
    for (const reqs of Object.values((output['UnprocessedItems'] ?? {}) as Record<string, any[]>)) {
      for (const r of reqs) unprocessed.add(keyOf(r.PutRequest?.Item ?? r.DeleteRequest?.Key ?? {}));
    }
    for (const reqs of Object.values((input['RequestItems'] ?? {}) as Record<string, any[]>)) {
      for (const r of reqs) {
        const item = r.PutRequest?.Item as Item | undefined;
        const key = (item ?? r.DeleteRequest?.Key) as Item | undefined;
        if (!key || unprocessed.has(keyOf(key))) continue;
        if (item) {
          stats.indexWru += this.indexWrites(item);
          this.store(item, billable);
        } else {
          // The deleted item is unknown here: its index deletes are not counted.
          this.unstore(key, billable);
        }
      }
    }
  }

  /** Index write units of writing `item` (one per index whose keys it carries). */
  private indexWrites(item: Item | undefined): number {
    if (!item) return 0;
    const units = writeUnits(itemSize(item));
    return this.indexes.reduce((n, ix) => (ix.keys.every((k) => item[k] !== undefined) ? n + units : n), 0);
  }

  private storedBytes(item: Item): number {
    const entry = itemSize(item) + DYNAMODB_ITEM_OVERHEAD_BYTES;
    return this.indexes.reduce((n, ix) => (ix.keys.every((k) => item[k] !== undefined) ? n + entry : n), entry);
  }

  private store(item: Item | undefined, billable: boolean): void {
    if (billable && item) this.stored.set(keyOf(item), this.storedBytes(item));
  }

  private unstore(key: Item | undefined, billable: boolean): void {
    if (billable && key) this.stored.delete(keyOf(key));
  }
}

function keyOf(item: Item): string {
  const key = (v: unknown): string => (v && typeof v === 'object' && 'S' in v ? String((v as { S: unknown }).S) : String(v));
  return `${key(item[TABLE.partitionKey])}\u0000${key(item[TABLE.sortKey])}`;
}
