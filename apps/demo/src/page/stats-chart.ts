import type { StatsReply, StatsSample } from '../api-schemas';
import { StatsHistory } from './stats-history';

interface Metric {
  label: string;
  value: (sample: StatsSample) => number;
  format: (value: number) => string;
  /** Whether the y axis starts at zero (counts) or at the smallest value seen (heap). */
  fromZero: boolean;
}

const METRICS: readonly Metric[] = [
  { label: 'Connections', value: (s) => s.connections, format: String, fromZero: true },
  { label: 'Jobs in progress', value: (s) => s.processingJobs, format: String, fromZero: true },
  { label: 'Subscriptions', value: (s) => s.subscriptions, format: String, fromZero: true },
  { label: 'Heap used', value: (s) => s.heapUsedBytes / 1e6, format: (mb) => `${mb.toFixed(1)} MB`, fromZero: false },
];

const WIDTH = 240;
const HEIGHT = 56;
const SVG_NS = 'http://www.w3.org/2000/svg';

const svgElement = <K extends keyof SVGElementTagNameMap>(name: K, attributes: Record<string, string | number>): SVGElementTagNameMap[K] => {
  const element = document.createElementNS(SVG_NS, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  return element;
};

const clockTime = (at: number): string => new Date(at).toLocaleTimeString([], { hour12: false });

/** Draws one metric over the samples: shaded alert periods, an area, a line, and a dashed mark where the server restarted. */
function drawSparkline(svg: SVGSVGElement, samples: readonly StatsSample[], restarts: readonly number[], metric: Metric, slots: number): void {
  svg.replaceChildren();
  if (samples.length === 0) return;
  const values = samples.map(metric.value);
  const max = Math.max(...values);
  const min = metric.fromZero ? 0 : Math.min(...values);
  const span = max - min || 1;
  const step = WIDTH / Math.max(1, slots - 1);
  // Newest sample at the right edge; the chart fills up from the right as history grows.
  const x = (index: number): number => WIDTH - (samples.length - 1 - index) * step;
  const y = (value: number): number => HEIGHT - 3 - ((value - min) / span) * (HEIGHT - 8);
  samples.forEach((sample, index) => {
    if (sample.alerts.length === 0) return;
    svg.append(svgElement('rect', { class: 'alert-band', x: x(index) - step / 2, y: 0, width: step, height: HEIGHT }));
  });
  const points = values.map((value, index) => `${x(index).toFixed(1)},${y(value).toFixed(1)}`);
  svg.append(
    svgElement('polygon', { class: 'area', points: `${x(0).toFixed(1)},${HEIGHT} ${points.join(' ')} ${WIDTH},${HEIGHT}` }),
    svgElement('polyline', { class: 'line', points: points.join(' ') }),
  );
  for (const restartedAt of restarts) {
    // Between the last sample of the old server and the first of the new one.
    const first = samples.findIndex((sample) => sample.at >= restartedAt);
    if (first <= 0) continue;
    const markX = (x(first - 1) + x(first)) / 2;
    svg.append(svgElement('line', { class: 'restart-mark', x1: markX, x2: markX, y1: 0, y2: HEIGHT }));
  }
}

/**
 * The stats panel: one sparkline card per metric, alert periods shaded red, and lifecycle counters. It keeps the
 * history across a server restart (marked with a dashed line and a note) instead of starting over empty.
 */
export class StatsChart {
  private readonly cards: { metric: Metric; value: HTMLElement; svg: SVGSVGElement }[];
  private readonly alerts: HTMLElement;
  private readonly restarts: HTMLElement;
  private readonly counters: HTMLElement;
  private readonly history: StatsHistory;

  constructor(
    container: HTMLElement,
    private readonly slots: number,
  ) {
    this.history = new StatsHistory(slots);
    const grid = document.createElement('div');
    grid.className = 'stats-grid';
    this.cards = METRICS.map((metric) => {
      const card = document.createElement('figure');
      card.className = 'stat';
      const caption = document.createElement('figcaption');
      const label = document.createElement('span');
      label.textContent = metric.label;
      const value = document.createElement('strong');
      value.textContent = '–';
      caption.append(label, value);
      const svg = svgElement('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, preserveAspectRatio: 'none', role: 'img', 'aria-label': metric.label });
      card.append(caption, svg);
      grid.append(card);
      return { metric, value, svg };
    });
    this.alerts = document.createElement('p');
    this.alerts.className = 'alerts';
    this.restarts = document.createElement('p');
    this.restarts.className = 'restarts';
    this.restarts.hidden = true;
    this.counters = document.createElement('p');
    this.counters.className = 'counters';
    container.replaceChildren(grid, this.alerts, this.restarts, this.counters);
  }

  /** Redraws everything from a `GET /api/stats` reply. */
  render(reply: StatsReply): void {
    const { counters, activeAlerts } = reply;
    this.history.add(reply);
    const { samples, restarts } = this.history;
    const latest = samples.at(-1);
    for (const { metric, value, svg } of this.cards) {
      value.textContent = latest ? metric.format(metric.value(latest)) : '–';
      drawSparkline(svg, samples, restarts, metric, this.slots);
    }
    const lastRestart = restarts.at(-1);
    this.restarts.hidden = lastRestart === undefined;
    this.restarts.textContent =
      lastRestart === undefined ? '' : `Server restarted at ${clockTime(lastRestart)} (dashed line); the chart keeps what came before, the counters below start again from 0`;
    const describe = ({ name, value, threshold }: StatsReply['activeAlerts'][number]): string =>
      `${name} ${Number.isInteger(value) ? value : value.toFixed(2)} > ${threshold}`;
    this.alerts.dataset.active = String(activeAlerts.length > 0);
    this.alerts.textContent = activeAlerts.length > 0 ? `Alert: ${activeAlerts.map(describe).join(', ')}` : 'No alerts';
    this.counters.textContent = `heartbeat timeouts ${counters.heartbeatTimeouts} · notices sent ${counters.noticesSent} · rate-limited events ${counters.rateLimited}`;
  }

  /** Shows that the stats could not be fetched (e.g. during a restart). */
  unavailable(): void {
    this.alerts.dataset.active = 'false';
    this.alerts.textContent = 'Server unreachable';
  }
}
