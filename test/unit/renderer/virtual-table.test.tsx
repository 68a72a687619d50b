// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { useState } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { VirtualTable, type Column } from '../../../src-renderer/components/VirtualTable';

interface Row {
  id: string;
  name: string;
  size: number;
}

const rows: Row[] = Array.from({ length: 5000 }, (_, i) => ({ id: `id-${i}`, name: `image-${i}`, size: i }));
const columns: Column<Row>[] = [
  { id: 'name', header: 'Name', minWidth: 100, grow: 1, sortable: true, cell: (r) => r.name },
  { id: 'size', header: 'Size', minWidth: 60, align: 'end', cell: (r) => String(r.size) },
];

function Table(props: { onOpen?(row: Row): void; onDelete?(rows: Row[]): void; initialHeight?: number }) {
  const [selection, setSelection] = useState<Set<string>>(new Set());
  return (
    <VirtualTable
      rows={rows}
      rowKey={(r) => r.id}
      rowLabel={(r) => r.name}
      columns={columns}
      label="Test rows"
      rowHeight={30}
      overscan={5}
      initialHeight={props.initialHeight ?? 600}
      sort={{ column: 'name', direction: 'ascending' }}
      onSort={() => {}}
      selection={selection}
      onSelectionChange={setSelection}
      onOpen={props.onOpen}
      onDelete={props.onDelete}
    />
  );
}

const bodyRows = () => screen.getAllByRole('row').filter((r) => r.getAttribute('aria-rowindex') !== '1');

afterEach(cleanup);

describe('VirtualTable', () => {
  it('puts only a window of 5,000 rows in the DOM', () => {
    render(<Table />);
    const grid = screen.getByRole('grid', { name: 'Test rows' });
    expect(grid.getAttribute('aria-rowcount')).toBe('5001');
    // 600 px / 30 px = 20 visible rows, plus 5 overscan below.
    expect(bodyRows()).toHaveLength(25);
    expect(screen.getByText('image-0')).toBeTruthy();
    expect(screen.queryByText('image-100')).toBeNull();
    expect(screen.queryByText('image-4999')).toBeNull();
  });

  it('moves the window when scrolled, keeping the DOM small', () => {
    const { container } = render(<Table />);
    const scroller = container.querySelector('.vt-scroll') as HTMLElement;
    scroller.scrollTop = 3000 * 30;
    fireEvent.scroll(scroller);
    const rendered = bodyRows();
    expect(rendered.length).toBeLessThanOrEqual(30);
    expect(screen.getByText('image-3000')).toBeTruthy();
    expect(screen.queryByText('image-0')).toBeNull();
    const first = Number(rendered[0].getAttribute('aria-rowindex')) - 2;
    expect(first).toBe(2995);
    expect(rendered[0].style.top).toBe(`${2995 * 30}px`);
  });

  it('walks with the arrow keys, opens with Enter and deletes the selection with Delete', () => {
    const onOpen = vi.fn();
    const onDelete = vi.fn();
    render(<Table onOpen={onOpen} onDelete={onDelete} />);
    const grid = screen.getByRole('grid');
    act(() => grid.focus());
    fireEvent.keyDown(grid, { key: 'ArrowDown' });
    fireEvent.keyDown(grid, { key: 'ArrowDown' });
    fireEvent.keyDown(grid, { key: 'Enter' });
    expect(onOpen).toHaveBeenCalledWith(rows[2]);
    const active = document.getElementById(grid.getAttribute('aria-activedescendant')!)!;
    expect(within(active).getByText('image-2')).toBeTruthy();
    expect(active.getAttribute('aria-selected')).toBe('true');

    fireEvent.keyDown(grid, { key: 'ArrowDown', shiftKey: true });
    fireEvent.keyDown(grid, { key: 'Delete' });
    expect(onDelete.mock.calls[0][0].map((r: Row) => r.name)).toEqual(['image-2', 'image-3']);
  });

  it('scrolls the active row into view when the keyboard goes past the window', () => {
    const { container } = render(<Table />);
    const grid = screen.getByRole('grid');
    act(() => grid.focus());
    fireEvent.keyDown(grid, { key: 'End' });
    const scroller = container.querySelector('.vt-scroll') as HTMLElement;
    expect(scroller.scrollTop).toBeGreaterThan(4900 * 30);
    expect(screen.getByText('image-4999')).toBeTruthy();
  });

  it('selects with click, ctrl-click and shift-click ranges, and select-all', () => {
    render(<Table />);
    fireEvent.click(screen.getByText('image-1'));
    fireEvent.click(screen.getByText('image-4'), { shiftKey: true });
    fireEvent.click(screen.getByText('image-8'), { ctrlKey: true });
    const selected = () => bodyRows().filter((r) => r.getAttribute('aria-selected') === 'true').map((r) => within(r).getAllByRole('gridcell')[1].textContent);
    expect(selected()).toEqual(['image-1', 'image-2', 'image-3', 'image-4', 'image-8']);
    fireEvent.click(screen.getByText('image-3'), { ctrlKey: true });
    expect(selected()).toEqual(['image-1', 'image-2', 'image-4', 'image-8']);
    fireEvent.click(screen.getByRole('checkbox', { name: 'Select all' }));
    expect(selected()).toHaveLength(bodyRows().length);
  });

  it('marks the sorted column with aria-sort', () => {
    render(<Table />);
    const headers = screen.getAllByRole('columnheader');
    expect(headers.find((h) => h.textContent === 'Name')?.getAttribute('aria-sort')).toBe('ascending');
    expect(headers.find((h) => h.textContent === 'Size')?.hasAttribute('aria-sort')).toBe(false);
  });
});
