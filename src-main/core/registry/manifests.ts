import { LighterError } from '../errors';
import { sha256 } from '../image/digest';
import { type ManifestDocument, parseManifestDocument } from '../image/manifest-document';
import { acceptedManifestTypes } from '../image/media-types';
import { hostPlatform, platformString, selectPlatformManifest } from '../image/platform';
import type { Descriptor, Platform } from '../image/types';
import { type Reference, familiarName, manifestReference } from '../ref/reference';
import { type RegistryClient, type Repository, pullScope, pushScope } from './client';
import { header, readLimited } from './http';
import { type RateLimit, parseRateLimit } from './response-errors';

/** Manifests and indexes larger than this are refused (docker's own limit is 4 MiB too). */
export const maxManifestBytes = 4 * 1024 * 1024;

export interface FetchedManifest {
  digest: string;
  mediaType: string;
  size: number;
  bytes: Buffer;
  document: ManifestDocument;
  /** Docker Hub's pull allowance, when the registry reports it. */
  rateLimit?: RateLimit;
}

function what(repo: Repository, reference: string): string {
  return `manifest ${familiarName(repo)}${reference.includes(':') ? '@' : ':'}${reference}`;
}

/**
 * Fetches a manifest or index by tag or digest. The bytes are hashed here: they must match the
 * digest asked for and the one the registry announced (DIGEST_MISMATCH otherwise).
 */
export async function getManifest(client: RegistryClient, repo: Repository, reference: string, signal?: AbortSignal): Promise<FetchedManifest> {
  const res = await client.call(repo.domain, {
    method: 'GET',
    path: `/v2/${repo.path}/manifests/${reference}`,
    headers: { accept: acceptedManifestTypes.join(', ') },
    scopes: [pullScope(repo)],
    signal,
    what: what(repo, reference),
  });
  const bytes = await readLimited(res, maxManifestBytes, what(repo, reference));
  const digest = sha256(bytes);
  const expected = reference.includes(':') ? reference : undefined;
  if (expected && expected !== digest) {
    throw new LighterError('DIGEST_MISMATCH', `${what(repo, reference)}: registry sent content with digest ${digest}`, { expected, actual: digest });
  }
  const announced = header(res, 'docker-content-digest');
  if (announced?.startsWith('sha256:') && announced !== digest) {
    throw new LighterError('DIGEST_MISMATCH', `${what(repo, reference)}: registry announced ${announced} but sent content with digest ${digest}`, {
      expected: announced,
      actual: digest,
    });
  }
  const document = parseManifestDocument(bytes, header(res, 'content-type'));
  return {
    digest,
    mediaType: document.mediaType,
    size: bytes.length,
    bytes,
    document,
    rateLimit: parseRateLimit(header(res, 'ratelimit-limit'), header(res, 'ratelimit-remaining')),
  };
}

/** `HEAD` on a manifest: its digest, media type and size without the body; undefined when absent. */
export async function headManifest(
  client: RegistryClient,
  repo: Repository,
  reference: string,
  signal?: AbortSignal,
): Promise<{ digest?: string; mediaType?: string; size?: number } | undefined> {
  const res = await client.call(repo.domain, {
    method: 'HEAD',
    path: `/v2/${repo.path}/manifests/${reference}`,
    headers: { accept: acceptedManifestTypes.join(', ') },
    scopes: [pullScope(repo)],
    accept: [404],
    signal,
    what: what(repo, reference),
  });
  await res.body.dump().catch(() => undefined);
  if (res.status === 404) return undefined;
  const size = Number(header(res, 'content-length'));
  return { digest: header(res, 'docker-content-digest'), mediaType: header(res, 'content-type')?.split(';')[0], size: Number.isFinite(size) ? size : undefined };
}

/** The digest a reference points at now (what `docker pull` would record as RepoDigest). */
export async function resolveDigest(client: RegistryClient, ref: Reference, signal?: AbortSignal): Promise<string> {
  if (ref.digest) return ref.digest;
  const head = await headManifest(client, ref, manifestReference(ref), signal);
  if (head?.digest?.startsWith('sha256:')) return head.digest;
  // Some registries omit Docker-Content-Digest on HEAD: hash the body instead.
  return (await getManifest(client, ref, manifestReference(ref), signal)).digest;
}

export interface ResolvedImage {
  /** The index the reference pointed at, when it was multi-platform. */
  index?: FetchedManifest;
  /** The image manifest for the chosen platform. */
  manifest: FetchedManifest;
  /** Descriptor of the manifest within the index (platform included). */
  descriptor?: Descriptor;
}

/** Follows an index to the manifest for `platform` (default: the host's), skipping attestations. */
export async function resolveImage(
  client: RegistryClient,
  ref: Reference,
  options: { platform?: Platform; signal?: AbortSignal } = {},
): Promise<ResolvedImage> {
  const top = await getManifest(client, ref, manifestReference(ref), options.signal);
  if (top.document.kind === 'manifest') return { manifest: top };
  const descriptor = selectPlatformManifest(top.document.index.manifests, options.platform ?? hostPlatform());
  const manifest = await getManifest(client, ref, descriptor.digest, options.signal);
  if (manifest.document.kind !== 'manifest') {
    throw new LighterError('UNSUPPORTED', `Nested index for platform ${platformString(descriptor.platform!)} is not supported`);
  }
  return { index: top, manifest, descriptor };
}

/** Uploads a manifest under a tag or digest; resolves with its digest (checked against the registry's). */
export async function putManifest(
  client: RegistryClient,
  repo: Repository,
  reference: string,
  bytes: Buffer,
  mediaType: string,
  signal?: AbortSignal,
): Promise<string> {
  const digest = sha256(bytes);
  const res = await client.call(repo.domain, {
    method: 'PUT',
    path: `/v2/${repo.path}/manifests/${reference}`,
    headers: { 'content-type': mediaType, 'content-length': String(bytes.length) },
    body: () => bytes,
    scopes: [pushScope(repo)],
    signal,
    what: what(repo, reference),
  });
  await res.body.dump().catch(() => undefined);
  const announced = header(res, 'docker-content-digest');
  if (announced && announced !== digest) {
    throw new LighterError('DIGEST_MISMATCH', `Registry stored the manifest as ${announced}, expected ${digest}`, { expected: digest, actual: announced });
  }
  return digest;
}
