/**
 * Progress output for long work. On a terminal: one bar redrawn in place on stderr. Off a
 * terminal (CI logs, pipes) or with --json: nothing, so logs and machine output stay clean.
 */
export class Progress {
  private readonly enabled: boolean;
  private readonly started = performance.now();
  private lastDraw = 0;

  constructor(
    private readonly label: string,
    private readonly total: number,
    options: { enabled?: boolean; stream?: NodeJS.WriteStream } = {},
  ) {
    this.stream = options.stream ?? process.stderr;
    this.enabled = (options.enabled ?? true) && Boolean(this.stream.isTTY);
  }

  private readonly stream: NodeJS.WriteStream;

  /** Shows `done` of `total`, with an optional note such as the last epoch's time. */
  update(done: number, note = ''): void {
    if (!this.enabled) return;
    const now = performance.now();
    if (done < this.total && now - this.lastDraw < 50) return;
    this.lastDraw = now;
    const width = 24;
    const filled = Math.round((done / this.total) * width);
    const elapsed = (now - this.started) / 1000;
    const eta = done > 0 ? (elapsed / done) * (this.total - done) : 0;
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    const line = `${this.label} ${bar} ${done}/${this.total}  ${elapsed.toFixed(1)}s elapsed, ${eta.toFixed(1)}s left${note ? `  ${note}` : ''}`;
    this.stream.write(`\r\x1b[2K${line}`);
  }

  /** Ends the bar's line. */
  done(): void {
    if (this.enabled) this.stream.write('\n');
  }
}
