/** What a prune would free (shared layers counted once) and the prune itself. */
import type Docker from 'dockerode';
import { throwIfAborted } from '../errors';
import { engineError } from './engine-errors';
import { imageFacts } from './facts';
import { listImages } from './images';
import { imageHistory } from './inspect';
import { mapLimit } from './limit';
import type { HistoryRow, ImageSummary, PrunePreview, PruneResult } from './types';

export interface LayeredImage {
  /** Chain IDs, base first. */
  chainIds: string[];
  /** Bytes of each layer, same order; undefined when they could not be told apart. */
  layerSizes?: number[];
  /** Fallback when layerSizes is unknown: the bytes no other image shares. */
  uniqueSize: number;
}

/**
 * Bytes freed by removing `removed` while `kept` stay: every layer no kept image uses, each layer
 * once however many removed images share it. An image whose layer sizes are unknown adds its
 * unique size instead.
 */
export function reclaimBytes(removed: LayeredImage[], kept: { chainIds: string[] }[]): number {
  const keptLayers = new Set(kept.flatMap((k) => k.chainIds));
  const counted = new Set<string>();
  let total = 0;
  for (const image of removed) {
    if (!image.layerSizes) {
      total += Math.max(0, image.uniqueSize);
      continue;
    }
    image.chainIds.forEach((chain, i) => {
      if (keptLayers.has(chain) || counted.has(chain)) return;
      counted.add(chain);
      total += image.layerSizes![i];
    });
  }
  return total;
}

/**
 * Layer sizes from `docker history` rows (newest first): the engine gives each layer-making step
 * its layer's size, so the non-empty steps, oldest first, pair with the layers. Undefined when the
 * count does not match (the empty-step heuristic misjudged a step).
 */
export function layerSizesFromHistory(rows: HistoryRow[], layerCount: number): number[] | undefined {
  const sizes = rows.filter((r) => !r.emptyLayer).map((r) => r.size).reverse();
  return sizes.length === layerCount ? sizes : undefined;
}

/** Which images a prune would remove: dangling ones, or with `all` every image no container uses. */
export function pruneCandidates(images: ImageSummary[], all: boolean): ImageSummary[] {
  return images.filter((i) => i.containers === 0 && (all || i.dangling));
}

export async function prunePreview(docker: Docker, options: { all?: boolean; signal?: AbortSignal } = {}): Promise<PrunePreview> {
  const all = !!options.all;
  const images = await listImages(docker, {}, { signal: options.signal });
  const candidates = pruneCandidates(images, all);
  const candidateIds = new Set(candidates.map((i) => i.id));
  const kept = images.filter((i) => !candidateIds.has(i.id));
  const facts = await imageFacts(docker, images.map((i) => i.id), options.signal);
  const removed = await mapLimit(
    candidates,
    4,
    async (image): Promise<LayeredImage> => {
      const chainIds = facts.get(image.id)?.chainIds ?? [];
      let layerSizes: number[] | undefined;
      try {
        layerSizes = layerSizesFromHistory(await imageHistory(docker, image.id), chainIds.length);
      } catch {
        /* gone meanwhile: counts by its unique size */
      }
      return { chainIds, layerSizes, uniqueSize: image.uniqueSize >= 0 ? image.uniqueSize : image.size };
    },
    options.signal,
  );
  const reclaim = reclaimBytes(
    removed,
    kept.map((i) => ({ chainIds: facts.get(i.id)?.chainIds ?? [] })),
  );
  return { all, images: candidates, reclaimBytes: reclaim };
}

export async function pruneImages(docker: Docker, options: { all?: boolean; signal?: AbortSignal } = {}): Promise<PruneResult> {
  throwIfAborted(options.signal);
  try {
    const answer = (await docker.pruneImages({
      filters: JSON.stringify({ dangling: [options.all ? 'false' : 'true'] }),
      abortSignal: options.signal,
    } as object)) as { ImagesDeleted?: { Untagged?: string; Deleted?: string }[] | null; SpaceReclaimed?: number };
    const entries = answer.ImagesDeleted ?? [];
    return {
      deleted: entries.flatMap((e) => (e.Deleted ? [e.Deleted] : [])),
      untagged: entries.flatMap((e) => (e.Untagged ? [e.Untagged] : [])),
      reclaimedBytes: answer.SpaceReclaimed ?? 0,
    };
  } catch (e) {
    throw engineError(e);
  }
}
