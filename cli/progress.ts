/**
 * A one-line progress bar on stderr, redrawn in place. Drawn only on a terminal: in a pipe, a log or a test it
 * stays silent, so nothing but results and messages ever lands there.
 */
import { formatBytes } from './output';

export interface TerminalStream {
  isTTY?: boolean;
  columns?: number;
  write(chunk: string): boolean;
}

const REDRAW_MS = 100;

export class ProgressBar {
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly stream: TerminalStream,
    private readonly label: string,
    readonly enabled: boolean = stream.isTTY === true,
  ) {}

  /** A fraction with a text after the bar; redrawn at most every 100 ms unless `force`. */
  update(fraction: number | undefined, detail: string, force = false): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.lastDraw < REDRAW_MS) return;
    this.lastDraw = now;
    this.stream.write(`\r\x1b[2K${renderBar(this.label, fraction, detail, this.stream.columns ?? 80)}`);
    this.drawn = true;
  }

  /** Bytes moved of a total (when known). */
  bytes(transferred: number, total: number | undefined): void {
    const fraction = total ? Math.min(1, transferred / total) : undefined;
    const detail = total ? `${formatBytes(transferred)} / ${formatBytes(total)}` : formatBytes(transferred);
    this.update(fraction, detail, total !== undefined && transferred >= total);
  }

  /** Clears the line, so what follows starts clean. */
  finish(): void {
    if (this.enabled && this.drawn) this.stream.write('\r\x1b[2K');
    this.drawn = false;
  }
}

/** `label [######----]  60%  detail`, fitted to `columns`; without a fraction, no bar and no percentage. */
export function renderBar(
  label: string,
  fraction: number | undefined,
  detail: string,
  columns: number,
): string {
  if (fraction === undefined) return `${label}  ${detail}`.slice(0, Math.max(10, columns - 1));
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  const fixed = label.length + percent.length + detail.length + 7;
  const width = Math.max(10, Math.min(40, columns - 1 - fixed));
  const filled = Math.round(fraction * width);
  return `${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${percent}  ${detail}`;
}
