import { h } from './dom.js';

/**
 * Chart.js (served from node_modules as its UMD bundle, the global `Chart`) behind a few helpers.
 * A page builds its DOM with chartBox() placeholders, the router mounts it, then drawCharts()
 * creates the charts: Chart.js sizes a canvas from its container, which must be in the document.
 */
export const COLORS = {
  primary: '#2563eb',
  primarySoft: 'rgba(37, 99, 235, 0.18)',
  previous: '#94a3b8',
  risk: '#dc2626',
  riskSoft: 'rgba(220, 38, 38, 0.15)',
  good: '#059669',
  amber: '#d97706',
  violet: '#7c3aed',
  grid: '#e2e8f0',
  text: '#334155',
  diagonal: '#94a3b8',
};

export const SERIES = ['#2563eb', '#d97706', '#059669', '#7c3aed', '#dc2626', '#0891b2'];

let pending = [];
let live = [];

function ChartJs() {
  if (!window.Chart) throw new Error('Chart.js did not load (/console/vendor/chart.umd.min.js)');
  return window.Chart;
}

/** A sized box with a canvas; the chart is drawn by drawCharts() once the page is in the document. */
export function chartBox(testid, config, { label, height = 280, className = '' } = {}) {
  const canvas = h('canvas', { testid, role: 'img', 'aria-label': label ?? testid });
  const box = h('div', { class: `chart-box ${className}` }, canvas);
  box.style.height = `${height}px`;
  pending.push({ canvas, config });
  return box;
}

export function drawCharts() {
  const Chart = ChartJs();
  Chart.defaults.animation = false;
  Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
  Chart.defaults.font.size = 12;
  Chart.defaults.color = COLORS.text;
  Chart.defaults.borderColor = COLORS.grid;
  Chart.defaults.maintainAspectRatio = false;
  for (const { canvas, config } of pending) {
    if (canvas.isConnected) live.push(new Chart(canvas, config));
  }
  pending = [];
}

export function destroyCharts() {
  for (const c of live) c.destroy();
  live = [];
  pending = [];
}

const axisTitle = (text) => ({ display: true, text, font: { weight: '600' } });

/** Grouped bars: labels x series ({ label, data, color, extra }); titles name the category and value axes. */
export function barConfig(labels, series, { categoryTitle, valueTitle, horizontal = false, legend = series.length > 1, stacked = false } = {}) {
  const value = horizontal ? 'x' : 'y';
  const category = horizontal ? 'y' : 'x';
  return {
    type: 'bar',
    data: {
      labels,
      datasets: series.map((s, i) => ({
        label: s.label,
        data: s.data,
        backgroundColor: s.color ?? SERIES[i % SERIES.length],
        borderRadius: 3,
        ...(s.extra ?? {}),
      })),
    },
    options: {
      indexAxis: horizontal ? 'y' : 'x',
      plugins: { legend: { display: legend, position: 'bottom' } },
      scales: {
        [category]: { stacked, grid: { display: false }, ...(categoryTitle ? { title: axisTitle(categoryTitle) } : {}) },
        [value]: { stacked, beginAtZero: true, ...(valueTitle ? { title: axisTitle(valueTitle) } : {}) },
      },
    },
  };
}

/** Lines through (x, y) points on linear axes, e.g. ROC: series ({ label, points: [{x, y}], color, dashed }). */
export function xyConfig(series, { xTitle, yTitle, xMin = 0, xMax = 1, yMin = 0, yMax = 1, xTick, yTick, legend = true } = {}) {
  return {
    type: 'scatter',
    data: {
      datasets: series.map((s, i) => ({
        label: s.label,
        data: s.points,
        showLine: s.line !== false,
        borderColor: s.color ?? SERIES[i % SERIES.length],
        backgroundColor: s.fill ?? s.color ?? SERIES[i % SERIES.length],
        borderWidth: s.width ?? 2,
        borderDash: s.dashed ? [6, 4] : undefined,
        pointRadius: s.pointRadius ?? 0,
        pointHoverRadius: 4,
        fill: s.area ? 'origin' : false,
        tension: 0,
        order: s.order ?? i,
      })),
    },
    options: {
      plugins: { legend: { display: legend, position: 'bottom' } },
      scales: {
        x: { type: 'linear', min: xMin, max: xMax, title: axisTitle(xTitle ?? 'x'), ...(xTick ? { ticks: { callback: xTick } } : {}) },
        y: { type: 'linear', min: yMin, max: yMax, title: axisTitle(yTitle ?? 'y'), ...(yTick ? { ticks: { callback: yTick } } : {}) },
      },
    },
  };
}
