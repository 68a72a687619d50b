import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { CopyButton } from '../../components/CopyButton';
import { Icon } from '../../components/Icon';

/** Splits text around case-insensitive matches of `query`. */
export function findMatches(text: string, query: string): number[] {
  const needle = query.toLowerCase();
  if (!needle) return [];
  const haystack = text.toLowerCase();
  const found: number[] = [];
  for (let at = haystack.indexOf(needle); at >= 0 && found.length < 5000; at = haystack.indexOf(needle, at + needle.length)) found.push(at);
  return found;
}

/** The engine's inspect JSON, searchable: matches highlighted, Enter / Shift+Enter walk through them. */
export function RawJson({ value }: { value: unknown }) {
  const text = useMemo(() => JSON.stringify(value, null, 2), [value]);
  const [query, setQuery] = useState('');
  const [current, setCurrent] = useState(0);
  const matches = useMemo(() => findMatches(text, query), [text, query]);
  const preRef = useRef<HTMLPreElement>(null);

  useEffect(() => {
    preRef.current?.querySelector('mark.current')?.scrollIntoView?.({ block: 'center' });
  }, [current, matches]);

  const parts: ReactNode[] = [];
  let last = 0;
  matches.forEach((at, n) => {
    parts.push(text.slice(last, at));
    parts.push(
      <mark key={at} className={n === current ? 'current' : undefined}>
        {text.slice(at, at + query.length)}
      </mark>,
    );
    last = at + query.length;
  });
  parts.push(text.slice(last));

  const step = (delta: number) => matches.length && setCurrent((c) => (c + delta + matches.length) % matches.length);

  return (
    <div className="raw-json">
      <div className="raw-toolbar">
        <label className="search-field">
          <Icon name="search" />
          <input
            type="search"
            placeholder="Find in JSON"
            aria-label="Find in JSON"
            value={query}
            onChange={(e) => {
              setQuery(e.target.value);
              setCurrent(0);
            }}
            onKeyDown={(e) => {
              if (e.key === 'Enter') {
                e.preventDefault();
                step(e.shiftKey ? -1 : 1);
              }
            }}
          />
        </label>
        <span className="muted small" aria-live="polite">
          {query ? (matches.length ? `${current + 1} of ${matches.length}` : 'No matches') : ''}
        </span>
        <div className="toolbar-spacer" />
        <CopyButton value={text} label="Copy JSON" text="Copy JSON" />
      </div>
      <pre ref={preRef} className="json" tabIndex={0} aria-label="Inspect JSON">
        {parts}
      </pre>
    </div>
  );
}
