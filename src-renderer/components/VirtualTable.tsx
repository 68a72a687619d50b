import { useCallback, useId, useLayoutEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { Icon } from './Icon';
import { clickSelect, toggleAll } from './selection';

export interface Column<T> {
  id: string;
  header: string;
  /** Grid track: at least minWidth pixels, then a share of the free space. */
  minWidth: number;
  grow?: number;
  sortable?: boolean;
  align?: 'start' | 'end';
  cell(row: T): ReactNode;
}

export interface VirtualTableProps<T> {
  rows: readonly T[];
  rowKey(row: T): string;
  /** Names a row for screen readers ("Select busybox:latest"). */
  rowLabel(row: T): string;
  columns: Column<T>[];
  label: string;
  rowHeight?: number;
  /** Rows rendered beyond the visible ones, so fast scrolling shows no gaps. */
  overscan?: number;
  /** Viewport height used until the real one is measured (and where layout is unavailable). */
  initialHeight?: number;
  sort?: { column: string; direction: 'ascending' | 'descending' };
  onSort?(column: string): void;
  selection?: ReadonlySet<string>;
  onSelectionChange?(selection: Set<string>): void;
  onOpen?(row: T): void;
  onDelete?(rows: T[]): void;
  rowClassName?(row: T): string | undefined;
  empty?: ReactNode;
}

const HEADER_HEIGHT = 32;
const CHECK_WIDTH = 36;

/**
 * A keyboard-friendly data grid that only puts the visible rows in the DOM, so thousands of rows
 * scroll smoothly. Rows have a fixed height; the body is one tall box with the visible slice placed
 * absolutely inside it.
 */
export function VirtualTable<T>(props: VirtualTableProps<T>) {
  const { rows, rowKey, columns, rowHeight = 34, overscan = 6, initialHeight = 600, selection, onSelectionChange } = props;
  const id = useId();
  const gridRef = useRef<HTMLDivElement>(null);
  const scrollRef = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(initialHeight);
  const [activeKey, setActiveKey] = useState<string>();
  const anchor = useRef<number>(undefined);

  const keys = useMemo(() => rows.map(rowKey), [rows, rowKey]);
  const activeIndex = activeKey === undefined ? -1 : keys.indexOf(activeKey);
  const selectable = Boolean(onSelectionChange);

  useLayoutEffect(() => {
    const node = scrollRef.current;
    if (!node) return;
    const measure = () => {
      if (node.clientHeight > 0) setViewport(node.clientHeight - HEADER_HEIGHT);
    };
    measure();
    if (typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(measure);
    observer.observe(node);
    return () => observer.disconnect();
  }, []);

  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const last = Math.min(rows.length, Math.ceil((scrollTop + viewport) / rowHeight) + overscan);

  const template = useMemo(() => {
    const tracks = columns.map((c) => `minmax(${c.minWidth}px, ${c.grow ?? 0}fr)`);
    return (selectable ? [`${CHECK_WIDTH}px`, ...tracks] : tracks).join(' ');
  }, [columns, selectable]);
  const minWidth = columns.reduce((sum, c) => sum + c.minWidth, selectable ? CHECK_WIDTH : 0);

  /** Scrolls just enough to show row `index` below the sticky header. */
  const reveal = useCallback(
    (index: number) => {
      const node = scrollRef.current;
      if (!node) return;
      const top = index * rowHeight;
      const visible = (node.clientHeight || viewport + HEADER_HEIGHT) - HEADER_HEIGHT;
      if (top < node.scrollTop) node.scrollTop = top;
      else if (top + rowHeight > node.scrollTop + visible) node.scrollTop = top + rowHeight - visible;
      setScrollTop(node.scrollTop);
    },
    [rowHeight, viewport],
  );

  const setActive = (index: number) => {
    if (index < 0 || index >= rows.length) return;
    setActiveKey(keys[index]);
    reveal(index);
  };

  const select = (index: number, mods: { shift?: boolean; toggle?: boolean }) => {
    if (!onSelectionChange) return;
    const result = clickSelect(keys, selection ?? new Set(), index, anchor.current, mods);
    anchor.current = result.anchor;
    onSelectionChange(result.selection);
  };

  const selectedRows = () => (selection?.size ? rows.filter((row) => selection.has(rowKey(row))) : activeIndex >= 0 ? [rows[activeIndex]] : []);

  const onKeyDown = (event: React.KeyboardEvent) => {
    if (event.target !== gridRef.current) return;
    const page = Math.max(1, Math.floor(viewport / rowHeight) - 1);
    const toggle = event.ctrlKey || event.metaKey;
    const move = (to: number) => {
      event.preventDefault();
      const index = Math.max(0, Math.min(rows.length - 1, to));
      if (!rows.length) return;
      setActive(index);
      if (!toggle) select(index, { shift: event.shiftKey });
    };
    switch (event.key) {
      case 'ArrowDown':
        return move(activeIndex < 0 ? 0 : activeIndex + 1);
      case 'ArrowUp':
        return move(activeIndex < 0 ? 0 : activeIndex - 1);
      case 'PageDown':
        return move(activeIndex + page);
      case 'PageUp':
        return move(activeIndex - page);
      case 'Home':
        return move(0);
      case 'End':
        return move(rows.length - 1);
      case ' ':
        event.preventDefault();
        if (activeIndex >= 0) select(activeIndex, { toggle: true });
        return;
      case 'Enter':
        if (activeIndex >= 0 && props.onOpen) {
          event.preventDefault();
          props.onOpen(rows[activeIndex]);
        }
        return;
      case 'Delete':
      case 'Backspace': {
        const chosen = selectedRows();
        if (chosen.length && props.onDelete) {
          event.preventDefault();
          props.onDelete(chosen);
        }
        return;
      }
      case 'a':
      case 'A':
        if (toggle && onSelectionChange) {
          event.preventDefault();
          onSelectionChange(new Set(keys));
        }
        return;
      case 'Escape':
        if (selection?.size && onSelectionChange) {
          event.preventDefault();
          event.stopPropagation();
          onSelectionChange(new Set());
        }
        return;
    }
  };

  const allSelected = rows.length > 0 && (selection?.size ?? 0) >= rows.length && keys.every((k) => selection?.has(k));
  const someSelected = !allSelected && keys.some((k) => selection?.has(k));

  const visible: ReactNode[] = [];
  for (let index = first; index < last; index++) {
    const row = rows[index];
    const key = keys[index];
    const selected = selection?.has(key) ?? false;
    const extra = props.rowClassName?.(row);
    visible.push(
      <div
        key={key}
        id={`${id}-row-${index}`}
        role="row"
        aria-rowindex={index + 2}
        aria-selected={selectable ? selected : undefined}
        className={`vt-row${selected ? ' selected' : ''}${index === activeIndex ? ' active' : ''}${extra ? ` ${extra}` : ''}`}
        style={{ top: index * rowHeight, height: rowHeight, gridTemplateColumns: template }}
        onMouseDown={(e) => {
          if (e.shiftKey) e.preventDefault(); // no text selection on shift-click
        }}
        onClick={(e) => {
          setActiveKey(key);
          select(index, { shift: e.shiftKey, toggle: e.ctrlKey || e.metaKey });
        }}
        onDoubleClick={() => props.onOpen?.(row)}
      >
        {selectable && (
          <div role="gridcell" className="vt-cell vt-check">
            <input
              type="checkbox"
              tabIndex={-1}
              checked={selected}
              aria-label={`Select ${props.rowLabel(row)}`}
              onClick={(e) => {
                e.stopPropagation();
                setActiveKey(key);
                select(index, { shift: e.shiftKey, toggle: !e.shiftKey });
              }}
              onChange={() => {}}
            />
          </div>
        )}
        {columns.map((column) => (
          <div key={column.id} role="gridcell" className={`vt-cell${column.align === 'end' ? ' end' : ''}`}>
            {column.cell(row)}
          </div>
        ))}
      </div>,
    );
  }

  return (
    <div
      ref={gridRef}
      className="vt"
      role="grid"
      aria-label={props.label}
      aria-rowcount={rows.length + 1}
      aria-colcount={columns.length + (selectable ? 1 : 0)}
      aria-multiselectable={selectable || undefined}
      aria-activedescendant={activeIndex >= first && activeIndex < last ? `${id}-row-${activeIndex}` : undefined}
      tabIndex={0}
      onKeyDown={onKeyDown}
      onFocus={(e) => {
        if (e.target === gridRef.current && activeIndex < 0 && rows.length) setActiveKey(keys[0]);
      }}
    >
      <div ref={scrollRef} className="vt-scroll" onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}>
        <div className="vt-inner" style={{ minWidth }}>
          <div role="rowgroup" className="vt-head">
            <div role="row" aria-rowindex={1} className="vt-row vt-header-row" style={{ gridTemplateColumns: template, height: HEADER_HEIGHT }}>
              {selectable && (
                <div role="columnheader" className="vt-cell vt-check">
                  <input
                    type="checkbox"
                    tabIndex={-1}
                    aria-label="Select all"
                    checked={allSelected}
                    ref={(node) => {
                      if (node) node.indeterminate = someSelected;
                    }}
                    onChange={() => onSelectionChange?.(toggleAll(keys, selection ?? new Set()))}
                  />
                </div>
              )}
              {columns.map((column) => {
                const sorted = props.sort?.column === column.id ? props.sort.direction : undefined;
                return (
                  <div key={column.id} role="columnheader" aria-sort={column.sortable ? (sorted ?? 'none') : undefined} className={`vt-cell${column.align === 'end' ? ' end' : ''}`}>
                    {column.sortable && props.onSort ? (
                      <button type="button" className="vt-sort" onClick={() => props.onSort?.(column.id)}>
                        {column.header}
                        <Icon name="chevronDown" size={12} className={`sort-icon${sorted ? ` sort-${sorted}` : ''}`} />
                      </button>
                    ) : (
                      <span className="vt-header-text">{column.header}</span>
                    )}
                  </div>
                );
              })}
            </div>
          </div>
          <div role="rowgroup" className="vt-body" style={{ height: rows.length * rowHeight }}>
            {visible}
          </div>
          {rows.length === 0 && props.empty && <div className="vt-empty">{props.empty}</div>}
        </div>
      </div>
    </div>
  );
}
