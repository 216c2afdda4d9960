/**
 * A curve drawn with characters, for terminals (`winback uplift evaluate` without --json): the
 * model's curve as '*', a reference line (random targeting) as '.', on a width x height grid.
 * Enough to see at a glance whether a ranking bulges above random; the SVG files carry detail.
 */
export function asciiChart(
  curve: ReadonlyArray<readonly [number, number]>,
  reference: ReadonlyArray<readonly [number, number]>,
  opts: { width?: number; height?: number; yLabel?: string } = {},
): string[] {
  const width = opts.width ?? 60;
  const height = opts.height ?? 12;
  const all = [...curve, ...reference];
  const x1 = Math.max(...all.map((p) => p[0]), 1e-12);
  const y0 = Math.min(0, ...all.map((p) => p[1]));
  const y1 = Math.max(...all.map((p) => p[1]), y0 + 1e-12);
  const grid = Array.from({ length: height }, () => new Array<string>(width).fill(' '));
  const at = (points: ReadonlyArray<readonly [number, number]>, x: number): number => {
    // Linear interpolation between the points around x (points sorted by x).
    for (let i = 1; i < points.length; i++) {
      const [xa, ya] = points[i - 1]!;
      const [xb, yb] = points[i]!;
      if (x <= xb) return xb === xa ? yb : ya + ((yb - ya) * (x - xa)) / (xb - xa);
    }
    return points[points.length - 1]![1];
  };
  const row = (y: number): number => Math.min(height - 1, Math.max(0, Math.round(((y1 - y) / (y1 - y0)) * (height - 1))));
  for (let c = 0; c < width; c++) {
    const x = (x1 * c) / (width - 1);
    grid[row(at(reference, x))]![c] = '.';
    grid[row(at(curve, x))]![c] = '*';
  }
  const label = (v: number): string => Number(v.toPrecision(3)).toString().padStart(8);
  return grid.map((cells, r) => `${r === 0 ? label(y1) : r === height - 1 ? label(y0) : ' '.repeat(8)} |${cells.join('')}`).concat(
    `${' '.repeat(8)} +${'-'.repeat(width)}`,
    `${' '.repeat(10)}0${' '.repeat(Math.max(1, width - String(Math.round(x1)).length - 1))}${Math.round(x1)}`,
  );
}
