/** Number and date formatting, one place, so that tests can parse what the pages show. */
const INT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const MONEY = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const DATE_TIME = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });
const DATE = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeZone: 'UTC' });

const finite = (x) => typeof x === 'number' && Number.isFinite(x);

export const int = (x) => (finite(x) ? INT.format(x) : '–');
export const money = (x) => (finite(x) ? MONEY.format(x) : '–');
/** 0.1234 -> "12.3%" */
export const pct = (x, digits = 1) => (finite(x) ? `${(x * 100).toFixed(digits)}%` : '–');
export const fixed = (x, digits = 4) => (finite(x) ? x.toFixed(digits) : '–');
export const signed = (x, f = int) => (finite(x) ? `${x > 0 ? '+' : x < 0 ? '−' : '±'}${f(Math.abs(x))}` : '–');
/** Percentage points, e.g. +1.9 pts */
export const points = (x, digits = 1) => (finite(x) ? `${signed(x * 100, (v) => v.toFixed(digits))} pts` : '–');
export const dateTime = (iso) => (iso ? `${DATE_TIME.format(new Date(iso))} UTC` : '–');
export const date = (iso) => (iso ? DATE.format(new Date(iso)) : '–');
