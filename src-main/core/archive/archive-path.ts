import { posix } from 'node:path';
import { LighterError } from '../errors';
import { shorten } from './tar-reader';

function invalid(message: string): LighterError {
  return new LighterError('ARCHIVE_INVALID', message);
}

/**
 * The canonical form of an archive member path ("./a/b/" → "a/b"), or a precise refusal for paths
 * that could not name a member of a well-formed image archive: absolute, `..`, backslashes.
 * Returns "" for the archive root ("./").
 */
export function normalizeMemberPath(raw: string): string {
  if (raw.includes('\\')) throw invalid(`Archive entry "${shorten(raw)}" contains a backslash`);
  if (raw.startsWith('/')) throw invalid(`Archive entry "${shorten(raw)}" has an absolute path`);
  const parts = raw.split('/');
  const kept: string[] = [];
  parts.forEach((part, i) => {
    if (part === '..') throw invalid(`Archive entry "${shorten(raw)}" contains ".."`);
    if (part === '.') return;
    if (part === '') {
      if (i === parts.length - 1) return; // trailing slash of a directory
      throw invalid(`Archive entry "${shorten(raw)}" contains an empty path component`);
    }
    kept.push(part);
  });
  return kept.join('/');
}

/**
 * Where a link entry points, as a member path. Symlink targets are relative to the link's
 * directory, hardlink targets to the archive root. Targets outside the archive are refused.
 */
export function linkTargetPath(linkPath: string, target: string, kind: 'symlink' | 'hardlink'): string {
  if (target === '' || target.includes('\\') || target.startsWith('/')) {
    throw invalid(`Archive link "${shorten(linkPath)}" points to "${shorten(target)}", outside the archive`);
  }
  const joined = kind === 'symlink' ? posix.join(posix.dirname(linkPath), target) : posix.normalize(target);
  if (joined === '..' || joined.startsWith('../') || joined.startsWith('/')) {
    throw invalid(`Archive link "${shorten(linkPath)}" points to "${shorten(target)}", outside the archive`);
  }
  return normalizeMemberPath(joined);
}
