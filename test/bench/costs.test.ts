import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BYTES_PER_GB, byService, costOf, EMPTY_USAGE, PRICES, scaleUsage, type Usage } from '../../scripts/bench/costs.js';
import { DEFAULT_LAMBDA_MEMORY_MB } from '../../scripts/bench/cost-report.js';

describe('cost model (scripts/bench/costs.ts)', () => {
  it('pins every list price: a price change is a deliberate edit of this test too', () => {
    expect(PRICES).toEqual({
      apiGatewayHttpUsdPerMillionRequests: 1.0,
      lambdaUsdPerMillionRequests: 0.2,
      lambdaArmUsdPerGbSecond: 0.0000133334,
      sqsStandardUsdPerMillionRequests: 0.4,
      dynamodbUsdPerMillionWru: 0.625,
      dynamodbUsdPerMillionRru: 0.125,
      dynamodbStorageUsdPerGbMonth: 0.25,
      dynamodbPitrUsdPerGbMonth: 0.2,
      sesUsdPerThousandEmails: 0.1,
      snsUsdPerMillionPublishes: 0.5,
      stepFunctionsStandardUsdPerThousandTransitions: 0.025,
      stepFunctionsExpressUsdPerMillionRequests: 1.0,
      stepFunctionsExpressUsdPerGbSecond: 0.00001667,
      cloudwatchLogsIngestionUsdPerGb: 0.5,
    });
  });

  it('costs nothing for no requests', () => {
    const costs = costOf(EMPTY_USAGE);
    expect(costs.totalUsd).toBe(0);
    expect(costs.monthlyUsd).toBe(0);
    expect(costs.lines.every((l) => l.usd === 0)).toBe(true);
  });

  it('prices a known request mix to the hand-computed dollars', () => {
    const usage: Usage = {
      apiGatewayRequests: 2_000_000, // 2 x $1.00
      lambda: [
        // 3 M requests x $0.20/M = $0.60; 1 GB x 1,000,000 s = 1 M GB-s x $0.0000133334 = $13.3334
        { name: 'a', invocations: 3_000_000, memoryMb: 1024, billedMs: 1_000_000_000 },
        // 1,000 requests = $0.0002; 0.5 GB x 100 s = 50 GB-s = $0.00066667
        { name: 'b', invocations: 1000, memoryMb: 512, billedMs: 100_000 },
      ],
      sqsRequests: 5_000_000, // $2.00
      dynamodbWru: 4_000_000, // $2.50
      dynamodbRru: 8_000_000, // $1.00
      dynamodbStoredBytes: 10 * BYTES_PER_GB, // 10 GB: $2.50 storage + $2.00 PITR a month
      sesEmails: 10_000, // $1.00
      snsPublishes: 2_000_000, // $1.00
      stepFunctionsTransitions: 90_000, // $2.25
      logBytes: 3 * BYTES_PER_GB, // $1.50
    };
    const costs = costOf(usage);
    const expected = 2 + 0.6 + 13.3334 + 0.0002 + 50 * 0.0000133334 + 2 + 2.5 + 1 + 1 + 1 + 2.25 + 1.5;
    expect(costs.totalUsd).toBeCloseTo(expected, 10);
    expect(costs.monthlyUsd).toBeCloseTo(4.5, 10);
    const usd = (service: string, item: string) => costs.lines.find((l) => l.service === service && l.item.startsWith(item))?.usd;
    expect(usd('Step Functions', 'Standard state transitions')).toBeCloseTo(2.25, 12);
    expect(usd('SES', 'emails')).toBeCloseTo(1, 12);
    expect(usd('Lambda', 'b duration')).toBeCloseTo(0.00066667, 8);
    expect(byService(costs)[0]).toEqual({ service: 'Lambda', usd: expect.closeTo(0.6 + 13.3334 + 0.0002 + 0.00066667, 8) });
  });

  it('scales linearly (per-unit figures to per-million figures)', () => {
    const usage: Usage = {
      ...EMPTY_USAGE,
      apiGatewayRequests: 10,
      lambda: [{ name: 'f', invocations: 12, memoryMb: 512, billedMs: 4000 }],
      sqsRequests: 30,
      dynamodbWru: 2300,
      dynamodbStoredBytes: 1_500_000,
    };
    const one = costOf(usage);
    const many = costOf(scaleUsage(usage, 1000));
    expect(many.totalUsd).toBeCloseTo(one.totalUsd * 1000, 9);
    expect(many.monthlyUsd).toBeCloseTo(one.monthlyUsd * 1000, 9);
    expect(() => scaleUsage(usage, -1)).toThrow(RangeError);
  });

  it('assumes the memory size the functions are deployed with (WinbackFunction default, not overridden)', () => {
    const construct = readFileSync(join(import.meta.dirname, '../../infra/constructs/winback-function.ts'), 'utf8');
    expect(construct).toContain(`memorySize: props.memorySize ?? ${DEFAULT_LAMBDA_MEMORY_MB},`);
  });
});
