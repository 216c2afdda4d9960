import { withStack } from '../local/stack.js';
import { listAllCustomers, loadEventsByCustomer } from '../../functions/jobs/customer-events.js';
import type { StoredEvent } from '../../kernel/events/stored-event.js';
import { rfmSummary, type Purchase, type TimeUnit } from '../../models/data/rfm.js';
import { fitGammaGamma } from '../../models/clv/gamma-gamma.js';
import { chooseClvModel, type ClvModelKind, type ClvModelOption, type HoldoutError } from '../../models/clv/model-choice.js';
import { bgnbdEstimates } from '../../models/clv/bgnbd.js';
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
  /** Pareto/NBD, fitted unless --model bgnbd. */
  readonly paretoNbd?: { r: number; alpha: number; s: number; beta: number; logLikelihood: number; converged: boolean; warnings: string[] };
  /** Each model's forecast of the holdout (orders after the cutoff up to holdoutEnd), when there is one. */
  readonly holdout?: { readonly end: string; readonly bgnbd: HoldoutError; readonly paretoNbd?: HoldoutError };
  /** The model the report recommends, and why (holdout error, else log-likelihood, else --model). */
  readonly model: { readonly chosen: ClvModelKind; readonly reason: string };
}

export interface ClvFitOptions {
  /** bgnbd | pareto-nbd | auto (default bgnbd: BG/NBD alone). */
  readonly model?: ClvModelOption;
  /** Last day of the holdout, inclusive, after the cutoff: orders in (cutoff, holdoutEnd] judge the forecasts. */
  readonly holdoutEnd?: string;
}

const DAY_MS = 86_400_000;

export function fitClvReport(purchases: readonly Purchase[], cutoff: string, unit: TimeUnit, options: ClvFitOptions = {}): ClvFitReport {
  const holdoutEnd = options.holdoutEnd !== undefined && options.holdoutEnd > cutoff ? options.holdoutEnd : undefined;
  const summaries = rfmSummary(purchases, { calibrationEnd: cutoff, unit, ...(holdoutEnd ? { holdoutEnd } : {}) });
  if (summaries.length < 2) throw new UsageError(`need at least 2 customers with an order on or before ${cutoff}, found ${summaries.length}`);
  const holdoutLength = holdoutEnd ? (Date.parse(holdoutEnd) - Date.parse(cutoff)) / DAY_MS / (unit === 'weeks' ? 7 : 1) : 0;
  const choice = chooseClvModel(summaries, options.model ?? 'bgnbd', holdoutLength);
  const bg = choice.bgnbd.fit;
  const pn = choice.paretoNbd?.fit;
  const gg = fitGammaGamma(summaries);
  return {
    cutoff,
    unit,
    customers: summaries.length,
    repeatCustomers: summaries.filter((s) => s.x > 0).length,
    bgnbd: {
      ...bgnbdEstimates(bg),
      converged: bg.converged,
      degenerate: bg.degenerate,
      warnings: [...bg.warnings],
    },
    gammaGamma: { p: gg.p, q: gg.q, gamma: gg.gamma, logLikelihood: gg.logLikelihood, customers: gg.customers, warnings: [...gg.warnings] },
    ...(pn ? { paretoNbd: { r: pn.r, alpha: pn.alpha, s: pn.s, beta: pn.beta, logLikelihood: pn.logLikelihood, converged: pn.converged, warnings: [...pn.warnings] } } : {}),
    ...(holdoutEnd && choice.bgnbd.holdout
      ? { holdout: { end: holdoutEnd, bgnbd: choice.bgnbd.holdout, ...(choice.paretoNbd?.holdout ? { paretoNbd: choice.paretoNbd.holdout } : {}) } }
      : {}),
    model: { chosen: choice.chosen, reason: choice.reason },
  };
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** --unit of the clv commands: weeks (the literature's) or days. */
export function clvUnitOption(values: Record<string, unknown>): TimeUnit {
  const unit = (values['unit'] ?? 'weeks') as string;
  if (unit !== 'weeks' && unit !== 'days') throw new UsageError(`--unit must be weeks or days, got ${unit}`);
  return unit;
}

/** --cutoff of the clv commands, checked as a day. */
export function clvCutoffOption(values: Record<string, unknown>): string | undefined {
  const cutoffArg = values['cutoff'] as string | undefined;
  if (cutoffArg !== undefined && !DATE.test(cutoffArg)) throw new UsageError(`--cutoff must be a date YYYY-MM-DD, got ${cutoffArg}`);
  return cutoffArg;
}

/** Every stored order as a purchase, read through the running or an embedded stack. */
export async function storedPurchases(dataDir: string, err: (line: string) => void): Promise<Purchase[]> {
  const purchases = await withStack(dataDir, async (stack) => {
    const customers = await listAllCustomers(stack.tableName);
    err(`loading the orders of ${customers.length} customers`);
    return purchasesFrom(await loadEventsByCustomer(stack.tableName, customers));
  });
  if (purchases.length === 0) throw new UsageError('no orders stored: import or ingest some first (winback import cdnow ...)');
  return purchases;
}

export const clvFitCommand: CliCommand = {
  name: 'clv fit',
  summary: 'fit BG/NBD, Pareto/NBD (chosen by holdout error) and Gamma-Gamma on the stored orders',
  help: [
    'usage: winback clv fit [--cutoff YYYY-MM-DD] [--unit weeks|days] [--model bgnbd|pareto-nbd|auto] [--json] [--data-dir DIR]',
    '',
    '      --cutoff DATE  last day of the calibration period, inclusive (default: the last order day);',
    '                     orders after it, to the last order day, are the holdout the models forecast',
    '      --unit U       time unit of the model, weeks (default, as in the literature) or days',
    '      --model M      bgnbd, pareto-nbd, or auto (default): both fitted, the lower holdout RMSE wins',
    '                     (without a holdout, the higher log-likelihood)',
    '      --json         print the fit as JSON',
  ].join('\n'),
  options: { cutoff: { type: 'string' }, unit: { type: 'string' }, model: { type: 'string' }, json: { type: 'boolean' } },
  async run({ dataDir, values, out, err }) {
    const unit = clvUnitOption(values);
    const modelArg = (values['model'] ?? 'auto') as string;
    if (modelArg !== 'bgnbd' && modelArg !== 'pareto-nbd' && modelArg !== 'auto') throw new UsageError(`--model must be bgnbd, pareto-nbd or auto, got ${modelArg}`);
    const cutoffArg = clvCutoffOption(values);
    const purchases = await storedPurchases(dataDir, err);
    const lastDay = purchases.map((p) => p.timestamp.slice(0, 10)).sort().at(-1)!;
    const cutoff = cutoffArg ?? lastDay;
    const report = fitClvReport(purchases, cutoff, unit, { model: modelArg, holdoutEnd: lastDay });
    if (values['json']) {
      out(JSON.stringify(report, null, 2));
      return 0;
    }
    const f = (x: number): string => x.toFixed(4);
    out(`CLV fit on ${report.customers} customers (${report.repeatCustomers} with repeat purchases), calibration to ${cutoff} inclusive, unit ${unit}`);
    out(`  BG/NBD       r ${f(report.bgnbd.r)}  alpha ${f(report.bgnbd.alpha)}  a ${f(report.bgnbd.a)}  b ${f(report.bgnbd.b)}  LL ${report.bgnbd.logLikelihood.toFixed(1)}${report.bgnbd.degenerate ? '  (degenerate: regularised)' : ''}`);
    if (report.paretoNbd) {
      const p = report.paretoNbd;
      out(`  Pareto/NBD   r ${f(p.r)}  alpha ${f(p.alpha)}  s ${f(p.s)}  beta ${f(p.beta)}  LL ${p.logLikelihood.toFixed(1)}`);
    }
    if (report.holdout) {
      const h = report.holdout;
      const line = (name: string, e: HoldoutError): string =>
        `  holdout to ${h.end} (${e.length.toFixed(1)} ${unit})  ${name.padEnd(10)} predicted ${e.predicted.toFixed(1)} vs actual ${e.actual}  RMSE ${e.rmse.toFixed(4)}  MAE ${e.mae.toFixed(4)}`;
      out(line('BG/NBD', h.bgnbd));
      if (h.paretoNbd) out(line('Pareto/NBD', h.paretoNbd));
    }
    out(`  model        ${report.model.chosen} (${report.model.reason})`);
    out(`  Gamma-Gamma  p ${f(report.gammaGamma.p)}  q ${f(report.gammaGamma.q)}  gamma ${f(report.gammaGamma.gamma)}  (${report.gammaGamma.customers} customers)`);
    for (const w of [...report.bgnbd.warnings, ...(report.paretoNbd?.warnings ?? []), ...report.gammaGamma.warnings]) err(`  warning: ${w}`);
    return 0;
  },
};
