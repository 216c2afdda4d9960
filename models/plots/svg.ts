/**
 * Two small SVG charts, as text, for model diagnostics written to files (`--plot DIR`): a line
 * chart (Qini and uplift curves against the random line) and a heatmap (CLV's frequency/recency
 * and P(alive) matrices). No charting library: the figures are simple and a file that any
 * browser opens is all they need. Labels are escaped; numbers are rounded to keep files small.
 */

export interface Series {
  readonly name: string;
  readonly points: ReadonlyArray<readonly [number, number]>;
  readonly color: string;
  readonly dashed?: boolean;
}

const W = 640;
const H = 420;
const M = { left: 70, right: 170, top: 40, bottom: 50 };

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const r2 = (v: number): string => (Math.round(v * 100) / 100).toString();

/** Round tick labels: 3 significant digits, no exponent for ordinary magnitudes. */
function tick(v: number): string {
  if (v === 0) return '0';
  return Math.abs(v) >= 1e5 || Math.abs(v) < 1e-3 ? v.toExponential(1) : Number(v.toPrecision(3)).toString();
}

export function lineChart(opts: { title: string; xLabel: string; yLabel: string; series: readonly Series[] }): string {
  const all = opts.series.flatMap((s) => s.points);
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const x0 = Math.min(0, ...xs);
  const x1 = Math.max(...xs, x0 + 1e-9);
  let y0 = Math.min(0, ...ys);
  let y1 = Math.max(0, ...ys);
  if (y1 - y0 < 1e-12) y1 = y0 + 1;
  const pad = (y1 - y0) * 0.05;
  y0 -= pad;
  y1 += pad;
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const sx = (x: number): number => M.left + ((x - x0) / (x1 - x0)) * pw;
  const sy = (y: number): number => M.top + ph - ((y - y0) / (y1 - y0)) * ph;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(opts.title)}</text>`,
    `<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const xv = x0 + ((x1 - x0) * i) / 4;
    const yv = y0 + ((y1 - y0) * i) / 4;
    parts.push(`<text x="${r2(sx(xv))}" y="${H - M.bottom + 16}" text-anchor="middle">${tick(xv)}</text>`);
    parts.push(`<text x="${M.left - 6}" y="${r2(sy(yv) + 4)}" text-anchor="end">${tick(yv)}</text>`);
    parts.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${r2(sy(yv))}" y2="${r2(sy(yv))}" stroke="#eee"/>`);
  }
  if (y0 < 0 && y1 > 0) parts.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${r2(sy(0))}" y2="${r2(sy(0))}" stroke="#bbb"/>`);
  parts.push(`<text x="${M.left + pw / 2}" y="${H - 12}" text-anchor="middle">${escapeXml(opts.xLabel)}</text>`);
  parts.push(`<text transform="translate(16 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle">${escapeXml(opts.yLabel)}</text>`);
  opts.series.forEach((s, i) => {
    const d = s.points.map((p, k) => `${k === 0 ? 'M' : 'L'}${r2(sx(p[0]))},${r2(sy(p[1]))}`).join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    const ly = M.top + 14 + i * 18;
    parts.push(`<line x1="${W - M.right + 12}" x2="${W - M.right + 36}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    parts.push(`<text x="${W - M.right + 42}" y="${ly}">${escapeXml(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/**
 * A heatmap of values[row][col] (row 0 drawn at the top), white to dark blue over [min, max],
 * each cell labelled when the grid is small enough to read.
 */
export function heatmap(opts: {
  title: string;
  xLabel: string;
  yLabel: string;
  xTicks: readonly string[];
  yTicks: readonly string[];
  values: ReadonlyArray<readonly number[]>;
  format?: (v: number) => string;
}): string {
  const rows = opts.values.length;
  const cols = opts.values[0]?.length ?? 0;
  const flat = opts.values.flat();
  const lo = Math.min(...flat);
  const hi = Math.max(...flat);
  const cell = Math.max(8, Math.min(36, Math.floor(560 / Math.max(rows, cols, 1))));
  const left = 70;
  const top = 40;
  const width = left + cols * cell + 90;
  const height = top + rows * cell + 60;
  const format = opts.format ?? ((v: number) => tick(v));
  const labelCells = cell >= 28;
  const color = (v: number): string => {
    const f = hi > lo ? (v - lo) / (hi - lo) : 0;
    const c = (a: number, b: number): number => Math.round(a + (b - a) * f);
    return `rgb(${c(247, 8)},${c(251, 48)},${c(255, 107)})`;
  };
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="10">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">${escapeXml(opts.title)}</text>`,
  ];
  const every = Math.max(1, Math.ceil(rows / 20));
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = opts.values[r]![c]!;
      const x = left + c * cell;
      const y = top + r * cell;
      parts.push(`<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${color(v)}"><title>${escapeXml(`${opts.yTicks[r]}, ${opts.xTicks[c]}: ${format(v)}`)}</title></rect>`);
      if (labelCells) {
        const dark = hi > lo && (v - lo) / (hi - lo) > 0.55;
        parts.push(`<text x="${x + cell / 2}" y="${y + cell / 2 + 3}" text-anchor="middle" font-size="8" fill="${dark ? 'white' : 'black'}">${escapeXml(format(v))}</text>`);
      }
    }
    if (r % every === 0) parts.push(`<text x="${left - 4}" y="${top + r * cell + cell / 2 + 3}" text-anchor="end">${escapeXml(opts.yTicks[r] ?? '')}</text>`);
  }
  const everyX = Math.max(1, Math.ceil(cols / 20));
  for (let c = 0; c < cols; c += everyX) {
    parts.push(`<text x="${left + c * cell + cell / 2}" y="${top + rows * cell + 14}" text-anchor="middle">${escapeXml(opts.xTicks[c] ?? '')}</text>`);
  }
  parts.push(`<text x="${left + (cols * cell) / 2}" y="${height - 14}" text-anchor="middle" font-size="12">${escapeXml(opts.xLabel)}</text>`);
  parts.push(`<text transform="translate(14 ${top + (rows * cell) / 2}) rotate(-90)" text-anchor="middle" font-size="12">${escapeXml(opts.yLabel)}</text>`);
  // Legend: the colour scale's ends.
  const lx = left + cols * cell + 20;
  parts.push(`<rect x="${lx}" y="${top}" width="14" height="14" fill="${color(hi)}"/><text x="${lx + 18}" y="${top + 11}">${escapeXml(format(hi))}</text>`);
  parts.push(`<rect x="${lx}" y="${top + 20}" width="14" height="14" fill="${color(lo)}" stroke="#ccc"/><text x="${lx + 18}" y="${top + 31}">${escapeXml(format(lo))}</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}
