import { LighterError } from '../errors';
import type { Descriptor, ImageIndex } from '../image/types';
import { parseTaggedName, type TaggedName } from './image-names';

const imageNameAnnotation = 'io.containerd.image.name';
const refNameAnnotation = 'org.opencontainers.image.ref.name';

/** The docker-archive members that record image names. */
export const nameFiles = new Set(['manifest.json', 'repositories', 'index.json']);

function invalid(message: string): LighterError {
  return new LighterError('ARCHIVE_INVALID', message);
}

/**
 * A name file (manifest.json, repositories, index.json) of a one-image docker-archive, rewritten to
 * record `names` instead; undefined when it already records exactly those names.
 */
export function retagMetadata(path: string, bytes: Buffer, names: string[]): Buffer | undefined {
  const wanted = names.map(parseTaggedName);
  const value = parse(path, bytes);
  const rewritten = path === 'manifest.json' ? retagManifest(value, wanted) : path === 'repositories' ? retagRepositories(value, wanted) : retagIndex(value, wanted);
  return rewritten === undefined ? undefined : Buffer.from(JSON.stringify(rewritten));
}

function parse(path: string, bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw invalid(`${path} is not valid JSON`);
  }
}

/** "docker.io/library/alpine:3" for names that parse; the raw text otherwise (never equal to a good one). */
function key(name: string): string {
  try {
    const n = parseTaggedName(name);
    return `${n.full}:${n.tag}`;
  } catch {
    return `\0${name}`;
  }
}

function sameNames(current: string[], wanted: TaggedName[]): boolean {
  const a = new Set(current.map(key));
  const b = new Set(wanted.map((n) => `${n.full}:${n.tag}`));
  return a.size === b.size && [...a].every((n) => b.has(n));
}

function retagManifest(value: unknown, wanted: TaggedName[]): unknown[] | undefined {
  if (!Array.isArray(value)) throw invalid('manifest.json is not a list of images');
  if (value.length !== 1) throw new LighterError('UNSUPPORTED', `The archive holds ${value.length} images; only one can be given new names`);
  const item = value[0] as { RepoTags?: unknown } | null;
  if (typeof item !== 'object' || item === null) throw invalid('manifest.json entry 1 is not an object');
  const current = Array.isArray(item.RepoTags) ? item.RepoTags.filter((t): t is string => typeof t === 'string') : [];
  if (sameNames(current, wanted)) return undefined;
  return [{ ...item, RepoTags: wanted.map((n) => `${n.familiar}:${n.tag}`) }];
}

function retagRepositories(value: unknown, wanted: TaggedName[]): Record<string, Record<string, string>> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('repositories is not a JSON object');
  const current: string[] = [];
  const ids = new Set<string>();
  for (const [repository, tags] of Object.entries(value as Record<string, unknown>)) {
    if (typeof tags !== 'object' || tags === null) throw invalid('repositories has an invalid entry');
    for (const [tag, id] of Object.entries(tags as Record<string, unknown>)) {
      current.push(`${repository}:${tag}`);
      if (typeof id === 'string') ids.add(id);
    }
  }
  if (sameNames(current, wanted)) return undefined;
  const repositories: Record<string, Record<string, string>> = {};
  // The file maps names to the top layer; without exactly one, only the manifest.json names remain.
  if (ids.size === 1) {
    const [id] = ids;
    for (const n of wanted) (repositories[n.familiar] ??= {})[n.tag] = id;
  }
  return repositories;
}

function retagIndex(value: unknown, wanted: TaggedName[]): ImageIndex | undefined {
  const index = value as Partial<ImageIndex> | null;
  if (typeof index !== 'object' || index === null || !Array.isArray(index.manifests)) throw invalid('index.json is not an image index');
  const current = index.manifests.map((d) => d?.annotations?.[imageNameAnnotation]).filter((n): n is string => typeof n === 'string');
  if (sameNames(current, wanted)) return undefined;
  const digests = new Set(index.manifests.map((d) => d?.digest));
  if (digests.size !== 1) throw new LighterError('UNSUPPORTED', `index.json lists ${digests.size} images; only one can be given new names`);
  const { [imageNameAnnotation]: _name, [refNameAnnotation]: _ref, ...others } = index.manifests[0].annotations ?? {};
  const base: Descriptor = { ...index.manifests[0], annotations: others };
  if (Object.keys(others).length === 0) delete base.annotations;
  const manifests = wanted.length
    ? wanted.map((n) => ({ ...base, annotations: { ...others, [imageNameAnnotation]: `${n.full}:${n.tag}`, [refNameAnnotation]: n.tag } }))
    : [base];
  return { ...(index as ImageIndex), manifests };
}
