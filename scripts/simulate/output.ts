import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { ApiSender, type ApiTarget, type SendSummary, type SenderItem, type SenderOptions } from '../ingest/sender.js';
import { countEvent, emptyCounts, simulateCustomers, type EventCounts } from './population.js';
import type { SimulatedEvent, SimulationOptions } from './types.js';

/**
 * Where a simulated stream goes: the ingest API (through the shared sender, so every event is
 * validated at the edge like a live client's), or a JSONL file that `winback ingest` reads back.
 * In the file, Segment messages and orders are written as the API takes them, and SES records
 * as `{"type":"ses","record":{...}}` (SES records only travel inside SNS notifications).
 */
export function toJsonLine(e: SimulatedEvent): string {
  if (e.kind === 'segment') return JSON.stringify(e.message);
  if (e.kind === 'order') return JSON.stringify(e.order);
  return JSON.stringify({ type: 'ses', record: e.record });
}

export function toSenderItem(e: SimulatedEvent): SenderItem {
  if (e.kind === 'segment') return { kind: 'segment', payload: e.message };
  if (e.kind === 'order') return { kind: 'order', payload: e.order };
  return { kind: 'ses', record: e.record };
}

export interface SimulationRun {
  readonly customers: number;
  readonly churned: number;
  readonly counts: EventCounts;
}

/** Called after each customer: customers done so far and events generated so far. */
export type SimulationProgress = (customersDone: number, eventsGenerated: number) => void;

export async function writeSimulation(options: SimulationOptions, file: string, onProgress: SimulationProgress = () => undefined): Promise<SimulationRun> {
  const out = createWriteStream(file);
  const counts = emptyCounts();
  let customers = 0;
  let churned = 0;
  try {
    for (const c of simulateCustomers(options)) {
      let chunk = '';
      for (const e of c.events) {
        countEvent(counts, e);
        chunk += `${toJsonLine(e)}\n`;
      }
      customers++;
      if (c.truth.churnedAt) churned++;
      // Respect the stream's backpressure: a population can be far larger than memory.
      if (!out.write(chunk)) await once(out, 'drain');
      onProgress(customers, counts.total);
    }
  } finally {
    out.end();
    await once(out, 'close');
  }
  return { customers, churned, counts };
}

export interface SentSimulation extends SimulationRun {
  readonly sent: SendSummary;
}

export async function sendSimulation(
  stack: ApiTarget,
  options: SimulationOptions,
  onProgress: SimulationProgress = () => undefined,
  senderOptions: SenderOptions = {},
): Promise<SentSimulation> {
  const sender = new ApiSender(stack, senderOptions);
  const counts = emptyCounts();
  let customers = 0;
  let churned = 0;
  for (const c of simulateCustomers(options)) {
    for (const e of c.events) {
      countEvent(counts, e);
      await sender.add(toSenderItem(e), `${c.truth.customerId} ${e.at}`);
    }
    customers++;
    if (c.truth.churnedAt) churned++;
    onProgress(customers, counts.total);
  }
  const sent = await sender.close();
  return { customers, churned, counts, sent };
}
