/**
 * Counts of rejected items by reason, with a few examples. Reasons are grouped by category
 * (digits, which are indices and values, become N) so a summary reads as a short list of kinds
 * of problem rather than one line per bad item. Examples carry a reference (a line number or an
 * order id), never the item itself: items hold emails and names.
 */
export interface RejectionExample {
  readonly ref: string | number;
  readonly reason: string;
}

export const MAX_EXAMPLES = 20;

export const reasonKey = (reason: string): string => reason.replace(/\d+/g, 'N').slice(0, 160);

export class RejectionTally {
  private total = 0;
  private readonly byReason: Record<string, number> = {};
  private readonly samples: RejectionExample[] = [];

  add(ref: string | number, reason: string, count = 1): void {
    this.total += count;
    const key = reasonKey(reason);
    this.byReason[key] = (this.byReason[key] ?? 0) + count;
    if (this.samples.length < MAX_EXAMPLES) this.samples.push({ ref, reason });
  }

  get count(): number {
    return this.total;
  }

  get reasons(): Record<string, number> {
    return { ...this.byReason };
  }

  get examples(): RejectionExample[] {
    return [...this.samples];
  }
}
