/** Tagging, removing, and who uses an image. */
import type Docker from 'dockerode';
import { LighterError, throwIfAborted, toErrorValue } from '../errors';
import { parseReference } from '../ref/reference';
import { engineError } from './engine-errors';
import type { ContainerRef, ImageUsage, RemoveResult } from './types';

/** Gives `source` (name or ID) the name `target` (`repo[:tag]`, tag "latest" when omitted). */
export async function tagImage(docker: Docker, source: string, target: string): Promise<void> {
  const ref = parseReference(target);
  if (ref.digest) {
    throw new LighterError('REF_INVALID', `invalid reference "${target}": a tag cannot contain a digest`);
  }
  // The engine normalizes the name itself; send it as typed, without the tag.
  const typed = target.trim();
  const repo = ref.tag ? typed.slice(0, typed.length - ref.tag.length - 1) : typed;
  try {
    await docker.getImage(source).tag({ repo, tag: ref.tag ?? 'latest' });
  } catch (e) {
    throw engineError(e, source);
  }
}

/** Full image ID for a name or ID; NOT_FOUND when the engine has none. */
export async function resolveImageId(docker: Docker, nameOrId: string): Promise<string> {
  try {
    return (await docker.getImage(nameOrId).inspect()).Id;
  } catch (e) {
    throw engineError(e, nameOrId);
  }
}

function containerRef(c: Docker.ContainerInfo): ContainerRef {
  return { id: c.Id, name: (c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, ''), state: c.State };
}

/** For each image (name or ID), the containers made from it, running or not. */
export async function imagesInUse(docker: Docker, images: string[]): Promise<ImageUsage[]> {
  const ids = await Promise.all(images.map((i) => resolveImageId(docker, i)));
  let containers: Docker.ContainerInfo[];
  try {
    containers = await docker.listContainers({ all: true });
  } catch (e) {
    throw engineError(e);
  }
  return images.map((image, i) => ({
    image,
    containers: containers.filter((c) => c.ImageID === ids[i]).map(containerRef),
  }));
}

export interface RemoveOptions {
  force?: boolean;
  signal?: AbortSignal;
  onProgress?: (progress: { done: number; total: number; image: string }) => void;
}

/** Why the engine refused a removal, as a LighterError a person (and the UI) can act on. */
async function removalError(docker: Docker, image: string, error: unknown): Promise<LighterError> {
  const base = engineError(error, image);
  if (base.code !== 'CONFLICT') return base;
  let users: ContainerRef[] = [];
  try {
    users = (await imagesInUse(docker, [image]))[0].containers;
  } catch {
    /* fall back to the engine's words */
  }
  if (!users.length) {
    return new LighterError('CONFLICT', `cannot remove ${image}: ${base.message}`);
  }
  const names = users.map((c) => `"${c.name}" (${c.state})`).join(', ');
  const running = users.some((c) => c.state === 'running');
  return new LighterError(
    'IN_USE',
    `image ${image} is in use by container${users.length > 1 ? 's' : ''} ${names}${running ? '; stop it first' : '; use force to remove it anyway'}`,
    { image, containers: users },
  );
}

/**
 * Removes images by tag or ID, one after another. Failures are collected, not thrown: an image a
 * container uses fails with IN_USE (naming the containers) unless `force`.
 */
export async function removeImages(docker: Docker, images: string[], options: RemoveOptions = {}): Promise<RemoveResult> {
  const result: RemoveResult = { removed: [], untagged: [], failed: [] };
  for (const [index, image] of images.entries()) {
    throwIfAborted(options.signal);
    try {
      const answer = (await docker.getImage(image).remove({ force: !!options.force, abortSignal: options.signal } as object)) as {
        Untagged?: string;
        Deleted?: string;
      }[];
      for (const entry of answer ?? []) {
        if (entry.Untagged) result.untagged.push(entry.Untagged);
        if (entry.Deleted) result.removed.push(entry.Deleted);
      }
    } catch (e) {
      const error = await removalError(docker, image, e);
      if (error.code === 'CANCELLED') throw error;
      const value = toErrorValue(error);
      const containers = (error.details?.containers as ContainerRef[] | undefined) ?? undefined;
      result.failed.push({ image, error: value.message, code: value.code, ...(containers ? { containers } : {}) });
    }
    options.onProgress?.({ done: index + 1, total: images.length, image });
  }
  return result;
}
