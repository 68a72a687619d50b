/** Selection rules of a list, as pure functions: click, shift-click range, ctrl/cmd-click toggle. */

export interface Modifiers {
  shift?: boolean;
  /** Ctrl on Linux/Windows, Cmd on macOS. */
  toggle?: boolean;
}

export interface SelectionResult {
  selection: Set<string>;
  anchor: number;
}

export function clickSelect(keys: readonly string[], selection: ReadonlySet<string>, index: number, anchor: number | undefined, mods: Modifiers): SelectionResult {
  const key = keys[index];
  if (mods.shift && anchor !== undefined && anchor < keys.length) {
    const [from, to] = anchor < index ? [anchor, index] : [index, anchor];
    const next = mods.toggle ? new Set(selection) : new Set<string>();
    for (let i = from; i <= to; i++) next.add(keys[i]);
    return { selection: next, anchor };
  }
  if (mods.toggle) {
    const next = new Set(selection);
    if (next.has(key)) next.delete(key);
    else next.add(key);
    return { selection: next, anchor: index };
  }
  return { selection: new Set([key]), anchor: index };
}

export function toggleAll(keys: readonly string[], selection: ReadonlySet<string>): Set<string> {
  const all = keys.length > 0 && keys.every((k) => selection.has(k));
  return all ? new Set() : new Set(keys);
}
