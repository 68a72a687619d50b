/**
 * What never changes about an image ID (its platform and layers), cached so a list of 1000+
 * images asks the engine once per image, not once per refresh. An ID is the digest of the image
 * config, so the same ID means the same facts on any engine.
 */
import type Docker from 'dockerode';
import { sha256 } from '../image/digest';
import { mapLimit } from './limit';

export interface ImageFacts {
  /** os/arch[/variant] */
  platform: string;
  /** rootfs diff IDs, base first. */
  diffIds: string[];
  /** Chain IDs, base first: the identity of each layer stack on disk. */
  chainIds: string[];
  /** Creation time in nanoseconds (list entries only carry seconds). */
  createdNs: bigint;
}

const maxEntries = 20_000;
const cache = new Map<string, ImageFacts>();
const inspectConcurrency = 8;

/** ChainID(L0) = DiffID(L0); ChainID(L0..n) = sha256(ChainID(L0..n-1) + " " + DiffID(Ln)). */
export function chainIds(diffIds: string[]): string[] {
  const out: string[] = [];
  for (const diff of diffIds) out.push(out.length ? sha256(`${out[out.length - 1]} ${diff}`) : diff);
  return out;
}

export function platformOf(inspect: { Os?: string; Architecture?: string; Variant?: string }): string {
  return [inspect.Os || 'unknown', inspect.Architecture || 'unknown', inspect.Variant].filter(Boolean).join('/');
}

/** An RFC 3339 time with up to 9 fraction digits as nanoseconds since the epoch (0 when unreadable). */
export function preciseTime(iso: string): bigint {
  const match = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(iso ?? '');
  if (!match) return 0n;
  const ms = Date.parse(match[1] + match[3]);
  if (!Number.isFinite(ms)) return 0n;
  const fraction = (match[2] ?? '').slice(0, 9).padEnd(9, '0');
  return BigInt(ms) * 1_000_000n + BigInt(fraction);
}

export function factsFromInspect(inspect: Docker.ImageInspectInfo & { Variant?: string }): ImageFacts {
  const diffIds = inspect.RootFS?.Layers ?? [];
  return { platform: platformOf(inspect), diffIds, chainIds: chainIds(diffIds), createdNs: preciseTime(inspect.Created) };
}

function remember(id: string, facts: ImageFacts): void {
  if (cache.size >= maxEntries) cache.delete(cache.keys().next().value!);
  cache.set(id, facts);
}

/** Facts for each ID (undefined for images that vanished meanwhile), at most 8 inspects at a time. */
export async function imageFacts(docker: Docker, ids: string[], signal?: AbortSignal): Promise<Map<string, ImageFacts>> {
  const missing = [...new Set(ids.filter((id) => !cache.has(id)))];
  await mapLimit(
    missing,
    inspectConcurrency,
    async (id) => {
      try {
        remember(id, factsFromInspect(await docker.getImage(id).inspect()));
      } catch {
        /* removed since it was listed: it simply has no facts */
      }
    },
    signal,
  );
  const out = new Map<string, ImageFacts>();
  for (const id of ids) {
    const facts = cache.get(id);
    if (facts) out.set(id, facts);
  }
  return out;
}
