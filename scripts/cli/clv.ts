import { withStack } from '../local/stack.js';
import { listAllCustomers, loadEventsByCustomer } from '../../functions/jobs/customer-events.js';
import type { StoredEvent } from '../../kernel/events/stored-event.js';
import { rfmSummary, type Purchase, type TimeUnit } from '../../models/data/rfm.js';
import { fitBgNbd } from '../../models/clv/bgnbd.js';
import { fitGammaGamma } from '../../models/clv/gamma-gamma.js';
import { UsageError, type CliCommand } from './command.js';

/**
 * `winback clv fit`: BG/NBD and Gamma-Gamma fitted by maximum likelihood on the stored orders,
 * with the literature's conventions (calibration end inclusive, same-day purchases are one
 * transaction, x = repeat transactions, time in weeks), so a data scientist can check the fit
 * against published figures (CDNOW) before trusting the value tiers built on it.
 */
export function purchasesFrom(eventsByCustomer: ReadonlyMap<string, readonly StoredEvent[]>): Purchase[] {
  const purchases: Purchase[] = [];
  for (const [customerId, events] of eventsByCustomer) {
    for (const e of events) {
      if (e.kind === 'order' && e.name === 'placed' && e.order) purchases.push({ customerId, timestamp: e.timestamp, value: e.order.total });
    }
  }
  return purchases;
}

export interface ClvFitReport {
  readonly cutoff: string;
  readonly unit: TimeUnit;
  readonly customers: number;
  readonly repeatCustomers: number;
  readonly bgnbd: { r: number; alpha: number; a: number; b: number; logLikelihood: number; converged: boolean; degenerate: boolean; warnings: string[] };
  readonly gammaGamma: { p: number; q: number; gamma: number; logLikelihood: number; customers: number; warnings: string[] };
}

export function fitClvReport(purchases: readonly Purchase[], cutoff: string, unit: TimeUnit): ClvFitReport {
  const summaries = rfmSummary(purchases, { calibrationEnd: cutoff, unit });
  if (summaries.length < 2) throw new UsageError(`need at least 2 customers with an order on or before ${cutoff}, found ${summaries.length}`);
  const bg = fitBgNbd(summaries);
  const gg = fitGammaGamma(summaries);
  return {
    cutoff,
    unit,
    customers: summaries.length,
    repeatCustomers: summaries.filter((s) => s.x > 0).length,
    bgnbd: {
      r: bg.r,
      alpha: bg.alpha,
      a: bg.a,
      b: bg.b,
      logLikelihood: bg.logLikelihood,
      converged: bg.converged,
      degenerate: bg.degenerate,
      warnings: [...bg.warnings],
    },
    gammaGamma: { p: gg.p, q: gg.q, gamma: gg.gamma, logLikelihood: gg.logLikelihood, customers: gg.customers, warnings: [...gg.warnings] },
  };
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export const clvFitCommand: CliCommand = {
  name: 'clv fit',
  summary: 'fit BG/NBD and Gamma-Gamma on the stored orders and print the parameters',
  help: [
    'usage: winback clv fit [--cutoff YYYY-MM-DD] [--unit weeks|days] [--json] [--data-dir DIR]',
    '',
    '      --cutoff DATE  last day of the calibration period, inclusive (default: the last order day)',
    '      --unit U       time unit of the model, weeks (default, as in the literature) or days',
    '      --json         print the fit as JSON',
  ].join('\n'),
  options: { cutoff: { type: 'string' }, unit: { type: 'string' }, json: { type: 'boolean' } },
  async run({ dataDir, values, out, err }) {
    const unit = (values['unit'] ?? 'weeks') as string;
    if (unit !== 'weeks' && unit !== 'days') throw new UsageError(`--unit must be weeks or days, got ${unit}`);
    const cutoffArg = values['cutoff'] as string | undefined;
    if (cutoffArg !== undefined && !DATE.test(cutoffArg)) throw new UsageError(`--cutoff must be a date YYYY-MM-DD, got ${cutoffArg}`);
    const purchases = await withStack(dataDir, async (stack) => {
      const customers = await listAllCustomers(stack.tableName);
      err(`loading the orders of ${customers.length} customers`);
      return purchasesFrom(await loadEventsByCustomer(stack.tableName, customers));
    });
    if (purchases.length === 0) throw new UsageError('no orders stored: import or ingest some first (winback import cdnow ...)');
    const cutoff = cutoffArg ?? purchases.map((p) => p.timestamp.slice(0, 10)).sort().at(-1)!;
    const report = fitClvReport(purchases, cutoff, unit);
    if (values['json']) {
      out(JSON.stringify(report, null, 2));
      return 0;
    }
    const f = (x: number): string => x.toFixed(4);
    out(`CLV fit on ${report.customers} customers (${report.repeatCustomers} with repeat purchases), calibration to ${cutoff} inclusive, unit ${unit}`);
    out(`  BG/NBD       r ${f(report.bgnbd.r)}  alpha ${f(report.bgnbd.alpha)}  a ${f(report.bgnbd.a)}  b ${f(report.bgnbd.b)}  LL ${report.bgnbd.logLikelihood.toFixed(1)}${report.bgnbd.degenerate ? '  (degenerate: regularised)' : ''}`);
    out(`  Gamma-Gamma  p ${f(report.gammaGamma.p)}  q ${f(report.gammaGamma.q)}  gamma ${f(report.gammaGamma.gamma)}  (${report.gammaGamma.customers} customers)`);
    for (const w of [...report.bgnbd.warnings, ...report.gammaGamma.warnings]) err(`  warning: ${w}`);
    return 0;
  },
};
