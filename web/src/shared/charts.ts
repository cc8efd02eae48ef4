// A uPlot line chart fed point by point: points go into a Ring at once, and
// the chart is redrawn at most once per animation frame, however fast they come.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { Ring } from './ring';

export interface SeriesSpec { label: string; stroke: string }

export class LiveChart {
  private ring: Ring;
  private plot: uPlot;
  private dirty = false;

  constructor(private el: HTMLElement, series: SeriesSpec[], capacity: number, private height = 220) {
    this.ring = new Ring(capacity, series.length);
    this.plot = new uPlot({
      width: Math.max(el.clientWidth, 200),
      height,
      scales: { x: { time: true } },
      series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.stroke, width: 1.5, points: { show: false } }))],
      axes: [{}, { size: 60 }],
      legend: { show: series.length > 1, live: false },
    }, [[], ...series.map(() => [])] as uPlot.AlignedData, el);
    new ResizeObserver(() => this.plot.setSize({ width: Math.max(el.clientWidth, 200), height: this.height })).observe(el);
  }

  // `t` in milliseconds since the epoch.
  push(t: number, values: number[]): void {
    this.ring.push(t / 1000, values);
    if (!this.dirty) {
      this.dirty = true;
      requestAnimationFrame(() => {
        this.dirty = false;
        this.plot.setData(this.ring.columns() as uPlot.AlignedData);
      });
    }
  }

  clear(): void {
    this.ring.clear();
    this.plot.setData([[], ...this.plot.series.slice(1).map(() => [])] as uPlot.AlignedData);
  }

  get points(): number {
    return this.ring.size;
  }

  get element(): HTMLElement {
    return this.el;
  }
}
