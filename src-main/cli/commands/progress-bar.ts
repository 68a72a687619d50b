import { humanSize } from '../../core/engine/format';
import type { JobProgress } from '../../core/jobs/types';

const width = 28;

/** One terminal line for a byte-counting job: bar, bytes, speed and time left. */
export function progressLine(p: JobProgress): string {
  const total = p.total ?? 0;
  const fraction = total > 0 ? Math.min(1, p.current / total) : 0;
  const filled = Math.round(fraction * width);
  const bar = total > 0 ? `[${'='.repeat(filled)}${filled < width ? '>' : ''}${' '.repeat(Math.max(0, width - filled - 1))}]` : '';
  const bytes = total > 0 ? `${humanSize(p.current)} / ${humanSize(total)}` : humanSize(p.current);
  const speed = p.rate !== undefined ? `${humanSize(p.rate)}/s` : '';
  const eta = p.etaSeconds !== undefined ? `ETA ${formatSeconds(p.etaSeconds)}` : '';
  return [p.message ?? '', bar, bytes, speed, eta].filter(Boolean).join('  ');
}

function formatSeconds(s: number): string {
  const seconds = Math.ceil(s);
  if (seconds < 60) return `${seconds}s`;
  return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}

/** Redraws one line in place on a terminal; does nothing elsewhere. The job manager throttles to 10/s. */
export class ProgressBar {
  private shown = false;

  constructor(private readonly stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }) {}

  get enabled(): boolean {
    return this.stream.isTTY === true;
  }

  draw(p: JobProgress): void {
    if (!this.enabled) return;
    const columns = this.stream.columns ?? 100;
    this.stream.write(`\r\x1b[2K${progressLine(p).slice(0, columns - 1)}`);
    this.shown = true;
  }

  clear(): void {
    if (this.shown) this.stream.write('\r\x1b[2K');
    this.shown = false;
  }
}
