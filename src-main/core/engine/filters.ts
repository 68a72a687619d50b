/** Image filters with docker's semantics, applied locally so every engine behaves the same. */
import { LighterError } from '../errors';

/**
 * A glob as Go's path.Match reads it (what docker's reference filter uses): `*` and `?` never
 * cross a "/", `[a-z]` and `[^…]` are classes, a backslash escapes.
 */
export function globToRegExp(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '\\') {
      if (i + 1 >= pattern.length) throw badPattern(pattern);
      out += escapeRegExp(pattern[++i]);
    } else if (c === '[') {
      const end = classEnd(pattern, i);
      if (end < 0) throw badPattern(pattern);
      let body = pattern.slice(i + 1, end);
      const negate = body.startsWith('^');
      if (negate) body = body.slice(1);
      if (body === '') throw badPattern(pattern);
      const escaped = body.replace(/\\(.)/g, '$1').replace(/[\]\\^]/g, '\\$&');
      out += negate ? `[^${escaped}]` : `[${escaped}]`;
      i = end;
    } else out += escapeRegExp(c);
  }
  return new RegExp(`^${out}$`);
}

function classEnd(pattern: string, start: number): number {
  for (let i = start + 1; i < pattern.length; i++) {
    if (pattern[i] === '\\') i++;
    else if (pattern[i] === ']' && i > start + 1 + (pattern[start + 1] === '^' ? 1 : 0)) return i;
  }
  return -1;
}

function escapeRegExp(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function badPattern(pattern: string): LighterError {
  return new LighterError('INVALID_INPUT', `invalid reference filter "${pattern}": bad glob pattern`);
}

/** `repo` of a `repo:tag` (a colon before the last "/" belongs to a registry port). */
export function repositoryOf(repoTag: string): string {
  const colon = repoTag.lastIndexOf(':');
  return colon > repoTag.lastIndexOf('/') ? repoTag.slice(0, colon) : repoTag;
}

/** `tag` of a `repo:tag`, or "" when there is none. */
export function tagOf(repoTag: string): string {
  const colon = repoTag.lastIndexOf(':');
  return colon > repoTag.lastIndexOf('/') ? repoTag.slice(colon + 1) : '';
}

/** docker's reference filter: the glob against the familiar `repo:tag`, else against `repo` alone. */
export function matchesReference(glob: RegExp, repoTag: string): boolean {
  return glob.test(repoTag) || glob.test(repositoryOf(repoTag));
}

/** Case-insensitive substring of a tag or of the hex ID. */
export function matchesText(text: string, id: string, repoTags: string[]): boolean {
  const needle = text.trim().toLowerCase();
  if (!needle) return true;
  const hex = id.replace(/^sha256:/, '');
  return hex.includes(needle.replace(/^sha256:/, '')) || repoTags.some((t) => t.toLowerCase().includes(needle));
}

/** The engine writes "<none>:<none>" for an untagged image on older APIs; we use no tags. */
export function realTags(repoTags: string[] | null | undefined): string[] {
  return (repoTags ?? []).filter((t) => t !== '<none>:<none>');
}

export function realDigests(repoDigests: string[] | null | undefined): string[] {
  return (repoDigests ?? []).filter((d) => d !== '<none>@<none>');
}
