// A fixed-size series store: the last `capacity` points of x and of each y,
// overwritten in a circle, so a fast feed never grows memory.
export class Ring {
  private xs: Float64Array;
  private ys: Float64Array[];
  private head = 0; // next slot to write
  size = 0;

  constructor(readonly capacity: number, series: number) {
    this.xs = new Float64Array(capacity);
    this.ys = Array.from({ length: series }, () => new Float64Array(capacity));
  }

  push(x: number, values: number[]): void {
    this.xs[this.head] = x;
    for (let i = 0; i < this.ys.length; i++) this.ys[i][this.head] = values[i] ?? NaN;
    this.head = (this.head + 1) % this.capacity;
    if (this.size < this.capacity) this.size += 1;
  }

  clear(): void {
    this.head = 0;
    this.size = 0;
  }

  // The points oldest first, as uPlot wants them: [xs, ys0, ys1, ...].
  columns(): number[][] {
    const start = (this.head - this.size + this.capacity) % this.capacity;
    const take = (a: Float64Array) => {
      const out = new Array<number>(this.size);
      for (let i = 0; i < this.size; i++) out[i] = a[(start + i) % this.capacity];
      return out;
    };
    return [take(this.xs), ...this.ys.map(take)];
  }
}
