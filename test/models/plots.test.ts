import { describe, expect, it } from 'vitest';
import { asciiChart } from '../../models/plots/ascii.js';
import { escapeXml, heatmap, lineChart } from '../../models/plots/svg.js';

describe('plots', () => {
  it('asciiChart puts the curve above the reference line where it bulges, and labels the axis ends', () => {
    // A concave curve from (0,0) to (10,10) against the diagonal: in the middle the '*' row is above the '.' row.
    const curve = Array.from({ length: 11 }, (_, i): [number, number] => [i, 10 * Math.sqrt(i / 10)]);
    const lines = asciiChart(curve, [[0, 0], [10, 10]], { width: 21, height: 11 });
    expect(lines).toHaveLength(13);
    expect(lines[0]).toMatch(/^ {6}10 \|/);
    expect(lines[10]).toMatch(/^ {7}0 \|\*/);
    const col = 10 + 10; // the middle column, after the 10-character label and '|'
    const star = lines.findIndex((l) => l[col] === '*');
    const dot = lines.findIndex((l) => l[col] === '.');
    expect(star).toBeGreaterThanOrEqual(0);
    expect(dot).toBeGreaterThan(star); // lower on the screen = smaller value
  });

  it('lineChart draws one path per series with escaped labels; heatmap one cell per value', () => {
    const svg = lineChart({ title: 'A <b> & "c"', xLabel: 'x', yLabel: 'y', series: [
      { name: 'm', points: [[0, 0], [1, 2]], color: '#000' },
      { name: 'random', points: [[0, 0], [1, 1]], color: '#999', dashed: true },
    ] });
    expect(svg.match(/<path /g)).toHaveLength(2);
    expect(svg).toContain(escapeXml('A <b> & "c"'));
    expect(svg).not.toContain('<b>');
    const map = heatmap({ title: 't', xLabel: 'x', yLabel: 'y', xTicks: ['0', '1', '2'], yTicks: ['a', 'b'], values: [[0, 0.5, 1], [1, 0.5, 0]] });
    // 6 cells + 2 legend swatches; the tooltips carry the values.
    expect(map.match(/<rect x=/g)).toHaveLength(8);
    expect(map).toContain('<title>b, 2: 0</title>');
  });
});
