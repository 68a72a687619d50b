// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { useState } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Dialog } from '../../../src-renderer/components/Dialog';
import { ProgressBar } from '../../../src-renderer/components/ProgressBar';
import { clickSelect, toggleAll } from '../../../src-renderer/components/selection';
import { progressText } from '../../../src-renderer/views/jobs/JobCard';
import { readableStep } from '../../../src-renderer/views/detail/HistoryTable';
import { findMatches } from '../../../src-renderer/views/detail/RawJson';

afterEach(cleanup);

describe('ProgressBar', () => {
  it('reports a determinate value and fills to match', () => {
    render(<ProgressBar value={30} total={120} label="Layer" valueText="30 B of 120 B" />);
    const bar = screen.getByRole('progressbar', { name: 'Layer' });
    expect(bar.getAttribute('aria-valuenow')).toBe('25');
    expect(bar.getAttribute('aria-valuemax')).toBe('100');
    expect(bar.getAttribute('aria-valuetext')).toBe('30 B of 120 B');
    expect((bar.firstChild as HTMLElement).style.width).toBe('25%');
  });
  it('clamps overshoot and is indeterminate without a total', () => {
    const { rerender } = render(<ProgressBar value={500} total={100} label="x" />);
    expect(screen.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('100');
    rerender(<ProgressBar value={5} label="x" />);
    const bar = screen.getByRole('progressbar');
    expect(bar.hasAttribute('aria-valuenow')).toBe(false);
    expect(bar.className).toContain('progress-indeterminate');
  });
});

describe('progressText', () => {
  it('describes bytes with speed and time left, and items as counts', () => {
    expect(progressText({ current: 12_000_000, total: 40_000_000, unit: 'bytes', rate: 3_200_000, etaSeconds: 9 })).toBe('12.0 MB of 40.0 MB · 3.2 MB/s · 9 s left');
    expect(progressText({ current: 3, total: 5, unit: 'items' })).toBe('3 of 5');
    expect(progressText({ current: 0, unit: 'items' })).toBe('');
  });
});

function DialogHarness({ onClose }: { onClose(): void }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button onClick={() => setOpen(true)}>Open</button>
      {open && (
        <Dialog
          title="Confirm"
          onClose={() => {
            onClose();
            setOpen(false);
          }}
          footer={<button>OK</button>}
        >
          <input aria-label="Name" data-autofocus />
        </Dialog>
      )}
    </>
  );
}

describe('Dialog', () => {
  it('takes focus, keeps Tab inside, closes on Escape and gives focus back', () => {
    const onClose = vi.fn();
    render(<DialogHarness onClose={onClose} />);
    const opener = screen.getByRole('button', { name: 'Open' });
    act(() => opener.focus());
    fireEvent.click(opener);
    const dialog = screen.getByRole('dialog', { name: 'Confirm' });
    expect(dialog.getAttribute('aria-modal')).toBe('true');
    expect(document.activeElement).toBe(screen.getByLabelText('Name'));

    const ok = screen.getByRole('button', { name: 'OK' });
    act(() => ok.focus());
    fireEvent.keyDown(ok, { key: 'Tab' });
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Close' }));
    fireEvent.keyDown(document.activeElement!, { key: 'Tab', shiftKey: true });
    expect(document.activeElement).toBe(ok);

    fireEvent.keyDown(ok, { key: 'Escape' });
    expect(onClose).toHaveBeenCalledOnce();
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(document.activeElement).toBe(opener);
  });
});

describe('selection rules', () => {
  const keys = ['a', 'b', 'c', 'd', 'e'];
  it('click selects one, ctrl toggles, shift selects a range from the anchor', () => {
    let r = clickSelect(keys, new Set(), 1, undefined, {});
    expect([...r.selection]).toEqual(['b']);
    r = clickSelect(keys, r.selection, 3, r.anchor, { shift: true });
    expect([...r.selection]).toEqual(['b', 'c', 'd']);
    r = clickSelect(keys, r.selection, 0, r.anchor, { shift: true });
    expect([...r.selection]).toEqual(['a', 'b']);
    r = clickSelect(keys, r.selection, 4, r.anchor, { toggle: true });
    expect([...r.selection].sort()).toEqual(['a', 'b', 'e']);
    expect(toggleAll(keys, new Set(keys)).size).toBe(0);
    expect(toggleAll(keys, new Set(['a'])).size).toBe(5);
  });
});

describe('detail helpers', () => {
  it('reads build steps without the shell noise', () => {
    expect(readableStep('/bin/sh -c #(nop)  CMD ["sh"]')).toBe('CMD ["sh"]');
    expect(readableStep('/bin/sh -c mkdir -p /srv')).toBe('RUN mkdir -p /srv');
    expect(readableStep('RUN /bin/busybox --install # buildkit')).toBe('RUN /bin/busybox --install # buildkit');
  });
  it('finds every case-insensitive match', () => {
    expect(findMatches('Env: PATH, path, Path', 'path')).toEqual([5, 11, 17]);
    expect(findMatches('abc', '')).toEqual([]);
  });
});
