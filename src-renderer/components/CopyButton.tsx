import { useEffect, useState } from 'react';
import { Icon } from './Icon';

/** Copies a value to the clipboard and shows a check mark for a moment. */
export function CopyButton({ value, label, text }: { value: string; label: string; text?: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const timer = setTimeout(() => setState('idle'), 1500);
    return () => clearTimeout(timer);
  }, [state]);

  const copy = async (event: React.MouseEvent) => {
    event.stopPropagation();
    try {
      await navigator.clipboard.writeText(value);
      setState('copied');
    } catch {
      setState('failed');
    }
  };

  const title = state === 'copied' ? 'Copied' : state === 'failed' ? 'Could not copy' : label;
  return (
    <button type="button" className={`icon-button copy-button copy-${state}`} onClick={copy} aria-label={label} title={title} tabIndex={text ? 0 : -1}>
      <Icon name={state === 'copied' ? 'check' : 'copy'} size={14} />
      {text && <span>{state === 'copied' ? 'Copied' : text}</span>}
    </button>
  );
}
