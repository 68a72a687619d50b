import { useEffect, useState } from 'react';
import { formatAbsoluteTime, formatBytes, formatRelativeTime } from '../format';

/** "3 days ago", with the exact time on hover; refreshes itself once a minute. */
export function RelativeTime({ ms }: { ms: number }) {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 60_000);
    return () => clearInterval(timer);
  }, []);
  return (
    <time dateTime={ms > 0 ? new Date(ms).toISOString() : undefined} title={formatAbsoluteTime(ms)}>
      {formatRelativeTime(ms, now)}
    </time>
  );
}

/** A byte count with the exact figure on hover. */
export function Bytes({ value }: { value: number }) {
  return <span title={value >= 0 ? `${value.toLocaleString('en')} bytes` : 'unknown'}>{formatBytes(value)}</span>;
}
