/**
 * Scores store their churn probability as a band as well, so that audiences select a range with
 * one key condition; models compute it and the store indexes it, hence it lives below both.
 */
/** Churn probability as a two-digit band 00..99 (floor of p x 100), sortable as text. */
export function churnBand(probability: number): string {
  const band = Math.min(99, Math.max(0, Math.floor(probability * 100)));
  return String(Number.isFinite(band) ? band : 0).padStart(2, '0');
}
