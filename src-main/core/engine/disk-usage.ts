/** `docker system df`: what images, containers, volumes and build cache take, and what could go. */
import type Docker from 'dockerode';
import { engineError } from './engine-errors';
import type { DiskUsage } from './types';

interface DfBody {
  LayersSize?: number;
  Images?: { Containers: number; Size: number; SharedSize: number; VirtualSize?: number }[] | null;
  Containers?: { State?: string; SizeRw?: number }[] | null;
  Volumes?: { UsageData?: { Size: number; RefCount: number } | null }[] | null;
  BuildCache?: { Size: number; InUse: boolean; Shared: boolean }[] | null;
}

/** The same arithmetic as the docker CLI's df table, from the engine's /system/df answer. */
export function diskUsageFromDf(df: DfBody): DiskUsage {
  const images = df.Images ?? [];
  const imagesSize = df.LayersSize ?? 0;
  let imagesUsed = 0;
  for (const i of images) {
    if (i.Containers > 0 && i.Size >= 0 && i.SharedSize >= 0) imagesUsed += i.Size - i.SharedSize;
  }
  const containers = df.Containers ?? [];
  const running = containers.filter((c) => c.State === 'running');
  const sizeRw = (c: { SizeRw?: number }) => Math.max(0, c.SizeRw ?? 0);
  const volumes = (df.Volumes ?? []).map((v) => v.UsageData ?? { Size: -1, RefCount: -1 });
  const cache = df.BuildCache ?? [];
  const unshared = cache.filter((b) => !b.Shared);
  return {
    images: {
      count: images.length,
      active: images.filter((i) => i.Containers > 0).length,
      size: imagesSize,
      reclaimable: Math.max(0, imagesSize - imagesUsed),
    },
    containers: {
      count: containers.length,
      active: running.length,
      size: containers.reduce((n, c) => n + sizeRw(c), 0),
      reclaimable: containers.filter((c) => c.State !== 'running').reduce((n, c) => n + sizeRw(c), 0),
    },
    volumes: {
      count: volumes.length,
      active: volumes.filter((v) => v.RefCount > 0).length,
      size: volumes.reduce((n, v) => n + Math.max(0, v.Size), 0),
      reclaimable: volumes.filter((v) => v.RefCount === 0).reduce((n, v) => n + Math.max(0, v.Size), 0),
    },
    buildCache: {
      count: cache.length,
      active: cache.filter((b) => b.InUse).length,
      size: unshared.reduce((n, b) => n + b.Size, 0),
      reclaimable: unshared.filter((b) => !b.InUse).reduce((n, b) => n + b.Size, 0),
    },
  };
}

export async function diskUsage(docker: Docker, signal?: AbortSignal): Promise<DiskUsage> {
  try {
    // dockerode's df takes an abortSignal; its type declarations do not say so.
    const withSignal = docker as unknown as { df(options: { abortSignal?: AbortSignal }): Promise<DfBody> };
    return diskUsageFromDf(await withSignal.df({ abortSignal: signal }));
  } catch (e) {
    throw engineError(e);
  }
}
