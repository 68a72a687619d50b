import type { ReactNode } from 'react';
import { Icon } from './Icon';

/** A strip across the top of the content: a problem the user should know about, with actions. */
export function Banner({ tone, title, children, actions }: { tone: 'warning' | 'info' | 'error'; title: string; children?: ReactNode; actions?: ReactNode }) {
  return (
    <section className={`banner banner-${tone}`} role={tone === 'info' ? 'status' : 'alert'} aria-label={title}>
      <Icon name={tone === 'info' ? 'info' : 'warning'} size={18} className="banner-icon" />
      <div className="banner-body">
        <div className="banner-title">{title}</div>
        {children}
      </div>
      {actions && <div className="banner-actions">{actions}</div>}
    </section>
  );
}
