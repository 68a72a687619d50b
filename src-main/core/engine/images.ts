/** The image list: one entry per image ID with all its tags, sizes, users and platform. */
import type Docker from 'dockerode';
import { LighterError, throwIfAborted } from '../errors';
import { apiVersionOf, compareApiVersions } from './connect';
import { engineError } from './engine-errors';
import { imageFacts, preciseTime } from './facts';
import { globToRegExp, matchesReference, matchesText, realDigests, realTags } from './filters';
import { shortId } from './format';
import type { ImageFilter, ImageSummary } from './types';

export interface ListImagesOptions {
  signal?: AbortSignal;
  /** Look up each image's platform (cached per ID). Default true. */
  platforms?: boolean;
  /** Compute shared/unique sizes. Default true; on API < 1.42 this costs a /system/df. */
  sharedSizes?: boolean;
}

interface RawImage {
  Id: string;
  RepoTags?: string[] | null;
  RepoDigests?: string[] | null;
  Created: number;
  Size: number;
  SharedSize?: number;
  Containers?: number;
  Labels?: Record<string, string> | null;
}

/** Image ID → number of containers (running or not) made from it. */
export async function containerCounts(docker: Docker, signal?: AbortSignal): Promise<Map<string, number>> {
  const containers = await docker.listContainers({ all: true, abortSignal: signal } as Docker.ContainerListOptions);
  const counts = new Map<string, number>();
  for (const c of containers) counts.set(c.ImageID, (counts.get(c.ImageID) ?? 0) + 1);
  return counts;
}

/** SharedSize per image ID from /system/df (the only source before API 1.42); empty on failure. */
async function sharedSizesFromDf(docker: Docker, signal?: AbortSignal): Promise<Map<string, number>> {
  try {
    const withSignal = docker as unknown as { df(options: { abortSignal?: AbortSignal }): Promise<{ Images?: RawImage[] | null }> };
    const df = await withSignal.df({ abortSignal: signal });
    return new Map((df.Images ?? []).map((i) => [i.Id, i.SharedSize ?? -1]));
  } catch {
    return new Map();
  }
}

export async function listImages(docker: Docker, filter: ImageFilter = {}, options: ListImagesOptions = {}): Promise<ImageSummary[]> {
  const { signal } = options;
  const api = apiVersionOf(docker);
  const askSharedSize = options.sharedSizes !== false && !!api && compareApiVersions(api, '1.42') >= 0;
  try {
    const [raw, counts, dfShared] = await Promise.all([
      docker.listImages({ ...(askSharedSize ? { 'shared-size': true } : {}), abortSignal: signal } as Docker.ListImagesOptions) as Promise<
        RawImage[]
      >,
      containerCounts(docker, signal),
      options.sharedSizes !== false && !askSharedSize ? sharedSizesFromDf(docker, signal) : Promise.resolve(undefined),
    ]);
    throwIfAborted(signal);
    let images = raw.map((i) => toSummary(i, counts, dfShared));
    images = await applyFilter(docker, images, filter, signal);
    if (options.platforms !== false) {
      const facts = await imageFacts(docker, images.map((i) => i.id), signal);
      for (const image of images) image.platform = facts.get(image.id)?.platform;
    }
    return images;
  } catch (e) {
    throw engineError(e);
  }
}

function toSummary(raw: RawImage, counts: Map<string, number>, dfShared?: Map<string, number>): ImageSummary {
  const repoTags = realTags(raw.RepoTags);
  const sharedSize = dfShared?.get(raw.Id) ?? (typeof raw.SharedSize === 'number' ? raw.SharedSize : -1);
  return {
    id: raw.Id,
    shortId: shortId(raw.Id),
    repoTags,
    repoDigests: realDigests(raw.RepoDigests),
    created: raw.Created,
    size: raw.Size,
    sharedSize,
    uniqueSize: sharedSize >= 0 ? raw.Size - sharedSize : -1,
    containers: counts.get(raw.Id) ?? 0,
    dangling: repoTags.length === 0,
    labels: raw.Labels ?? {},
  };
}

/** Creation time (ns) of the image a before/since filter names. */
async function createdOf(docker: Docker, nameOrId: string): Promise<bigint> {
  try {
    return preciseTime((await docker.getImage(nameOrId).inspect()).Created);
  } catch (e) {
    throw engineError(e, nameOrId);
  }
}

/**
 * Narrows the list like `docker images --filter`; a reference filter also narrows each image's
 * tags. before/since compare creation times to the nanosecond, as the engine does.
 */
export async function applyFilter(docker: Docker, images: ImageSummary[], filter: ImageFilter, signal?: AbortSignal): Promise<ImageSummary[]> {
  let out = images;
  if (filter.dangling !== undefined) out = out.filter((i) => i.dangling === filter.dangling);
  if (filter.inUse !== undefined) out = out.filter((i) => i.containers > 0 === filter.inUse);
  if (filter.text) out = out.filter((i) => matchesText(filter.text!, i.id, i.repoTags));
  if (filter.reference) {
    const glob = globToRegExp(filter.reference);
    out = out
      .map((i) => ({ ...i, repoTags: i.repoTags.filter((t) => matchesReference(glob, t)) }))
      .filter((i) => i.repoTags.length > 0);
  }
  if (filter.before || filter.since) {
    const before = filter.before ? await createdOf(docker, filter.before) : undefined;
    const since = filter.since ? await createdOf(docker, filter.since) : undefined;
    const facts = await imageFacts(docker, out.map((i) => i.id), signal);
    const created = (i: ImageSummary) => facts.get(i.id)?.createdNs ?? BigInt(i.created) * 1_000_000_000n;
    out = out.filter((i) => (before === undefined || created(i) < before) && (since === undefined || created(i) > since));
  }
  throwIfAborted(signal);
  return out;
}

/** Parses `KEY=VALUE` filter words of the CLI into an ImageFilter; throws INVALID_INPUT. */
export function parseFilterArgs(args: string[]): ImageFilter {
  const filter: ImageFilter = {};
  const bool = (key: string, value: string): boolean => {
    if (value === 'true' || value === '1') return true;
    if (value === 'false' || value === '0') return false;
    throw new LighterError('INVALID_INPUT', `filter ${key} takes true or false, not "${value}"`);
  };
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0) throw new LighterError('INVALID_INPUT', `filter "${arg}" is not KEY=VALUE`);
    const key = arg.slice(0, eq).trim().toLowerCase();
    const value = arg.slice(eq + 1).trim();
    switch (key) {
      case 'dangling':
        filter.dangling = bool(key, value);
        break;
      case 'in-use':
        filter.inUse = bool(key, value);
        break;
      case 'reference':
        globToRegExp(value);
        filter.reference = value;
        break;
      case 'before':
        filter.before = value;
        break;
      case 'since':
        filter.since = value;
        break;
      case 'text':
        filter.text = value;
        break;
      default:
        throw new LighterError(
          'INVALID_INPUT',
          `unknown filter "${key}" (use dangling, in-use, reference, before, since or text)`,
        );
    }
  }
  return filter;
}
