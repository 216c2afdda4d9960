/**
 * Imported first by scripts/bench/faults.ts: the handlers' logger (Powertools) reads its level when
 * it is created, and every injected fault would otherwise print a line; the figures are the output.
 */
process.env['POWERTOOLS_LOG_LEVEL'] ??= 'SILENT';
