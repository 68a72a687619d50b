export interface ProgressBarProps {
  /** Done so far; with no `total` the bar is indeterminate (moving stripe). */
  value: number;
  total?: number;
  label: string;
  tone?: 'active' | 'success' | 'error' | 'muted';
  /** Screen-reader text for the value, e.g. "12 MB of 40 MB". */
  valueText?: string;
}

/** A progress bar for any job: layers, bytes, items. Determinate when the total is known. */
export function ProgressBar({ value, total, label, tone = 'active', valueText }: ProgressBarProps) {
  const known = total !== undefined && total > 0;
  const fraction = known ? Math.min(1, Math.max(0, value / total)) : 0;
  const percent = Math.round(fraction * 100);
  return (
    <div
      className={`progress progress-${tone}${known ? '' : ' progress-indeterminate'}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={known ? 100 : undefined}
      aria-valuenow={known ? percent : undefined}
      aria-valuetext={valueText ?? (known ? `${percent}%` : 'In progress')}
    >
      <div className="progress-fill" style={known ? { width: `${fraction * 100}%` } : undefined} />
    </div>
  );
}
