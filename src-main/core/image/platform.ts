import { LighterError } from '../errors';
import type { Descriptor, Platform } from './types';

/** Architecture spellings people and tools use, mapped to OCI names (with the variant they imply). */
const archAliases: Record<string, { architecture: string; variant?: string }> = {
  x86_64: { architecture: 'amd64' },
  'x86-64': { architecture: 'amd64' },
  x64: { architecture: 'amd64' },
  aarch64: { architecture: 'arm64' },
  armhf: { architecture: 'arm', variant: 'v7' },
  armel: { architecture: 'arm', variant: 'v6' },
  i386: { architecture: '386' },
  ia32: { architecture: '386' },
};

/** Fills in the default variants (arm64 → v8, arm → v7) and canonical names, so platforms compare. */
export function normalizePlatform(p: Platform): Platform {
  const os = p.os.toLowerCase() === 'macos' ? 'darwin' : p.os.toLowerCase();
  let architecture = p.architecture.toLowerCase();
  let variant = p.variant?.toLowerCase() || undefined;
  const alias = archAliases[architecture];
  if (alias) {
    architecture = alias.architecture;
    variant = variant ?? alias.variant;
  }
  if (architecture === 'arm64' && (variant === undefined || variant === '8')) variant = 'v8';
  if (architecture === 'arm' && variant === undefined) variant = 'v7';
  if (architecture === 'arm' && /^[5-8]$/.test(variant ?? '')) variant = `v${variant}`;
  if (architecture === 'amd64' && variant === 'v1') variant = undefined;
  return variant === undefined ? { os, architecture } : { os, architecture, variant };
}

/** `os/arch[/variant]` → Platform; INVALID_INPUT when malformed. */
export function parsePlatform(text: string): Platform {
  const parts = text.trim().split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[A-Za-z0-9._-]+$/.test(p))) {
    throw new LighterError('INVALID_INPUT', `Invalid platform "${text}": expected os/architecture[/variant], e.g. linux/arm64`);
  }
  const [os, architecture, variant] = parts;
  return normalizePlatform(variant ? { os, architecture, variant } : { os, architecture });
}

export function platformString(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/** The platform images are pulled for on this machine: Linux on every host, as docker does. */
export function hostPlatform(arch: string = process.arch): Platform {
  const architecture: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', loong64: 'loong64' };
  return normalizePlatform({ os: 'linux', architecture: architecture[arch] ?? arch });
}

/** Attestation manifests (provenance, SBOM) sit in indexes next to images but are not images. */
export function isAttestation(d: Descriptor): boolean {
  if (d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest') return true;
  return d.platform?.os === 'unknown' && d.platform?.architecture === 'unknown';
}

/** Variants an `arm` machine also runs, best first (a v7 CPU runs v6 and v5 code). */
function compatibleVariants(want: Platform): Array<string | undefined> {
  if (want.architecture === 'arm' && want.variant) {
    const n = Number(want.variant.slice(1));
    return [5, 6, 7, 8].filter((v) => v <= n).reverse().map((v) => `v${v}`);
  }
  return [want.variant];
}

/** 0 = best; undefined = does not run on `want`. A wanted platform without variant accepts any. */
export function platformRank(want: Platform, have: Platform): number | undefined {
  const w = normalizePlatform(want);
  const h = normalizePlatform(have);
  if (w.os !== h.os || w.architecture !== h.architecture) return undefined;
  if (want.variant === undefined && w.architecture !== 'arm') return h.variant === w.variant ? 0 : 1;
  const rank = compatibleVariants(w).indexOf(h.variant);
  return rank < 0 ? undefined : rank;
}

/** The index entry for `want` (default: the host's), skipping attestations; NOT_FOUND lists what exists. */
export function selectPlatformManifest(manifests: Descriptor[], want: Platform = hostPlatform()): Descriptor {
  let best: { d: Descriptor; rank: number } | undefined;
  for (const d of manifests) {
    if (isAttestation(d) || !d.platform) continue;
    const rank = platformRank(want, d.platform);
    if (rank !== undefined && (best === undefined || rank < best.rank)) best = { d, rank };
  }
  if (best) return best.d;
  const available = manifests.filter((d) => d.platform && !isAttestation(d)).map((d) => platformString(d.platform!));
  throw new LighterError(
    'NOT_FOUND',
    `No image for platform ${platformString(want)} (available: ${available.length ? available.join(', ') : 'none'})`,
    { platform: platformString(want), available },
  );
}
