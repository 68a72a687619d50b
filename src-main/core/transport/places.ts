import { LighterError } from '../errors';
import { normalizeForPull, parseReference, type Reference } from '../ref/reference';

/**
 * Where images are copied from or to, written as skopeo does: `docker://REF`, `docker-daemon:REF`,
 * `docker-archive:PATH[:REF]`, `oci-archive:PATH[:REF]`, `oci:DIR[:REF]`, and Lighter's own `store:REF`.
 */
export type Place =
  | { transport: 'docker'; ref: Reference; text: string }
  | { transport: 'docker-daemon'; name: string; text: string }
  | { transport: 'docker-archive' | 'oci-archive' | 'oci'; path: string; ref?: string; text: string }
  | { transport: 'store'; ref: string; text: string };

export const transports = ['docker', 'docker-daemon', 'docker-archive', 'oci-archive', 'oci', 'store'] as const;
export type TransportName = (typeof transports)[number];

export interface ParsePlaceOptions {
  /** Tells whether a path exists: a path holding ':' wins over splitting it (sources). */
  exists?: (path: string) => boolean;
}

/** The transport a place starts with, or undefined (a plain engine image name like `busybox:1`). */
export function transportOf(text: string): TransportName | undefined {
  if (text.startsWith('docker://')) return 'docker';
  const colon = text.indexOf(':');
  const prefix = colon > 0 ? text.slice(0, colon) : '';
  return prefix !== 'docker' && (transports as readonly string[]).includes(prefix) ? (prefix as TransportName) : undefined;
}

export function parsePlace(text: string, options: ParsePlaceOptions = {}): Place {
  const transport = transportOf(text);
  if (!transport) {
    throw new LighterError(
      'INVALID_INPUT',
      `"${text.slice(0, 200)}" names no transport: write docker://REF, docker-daemon:REF, docker-archive:PATH[:REF], oci-archive:PATH[:REF], oci:DIR[:REF] or store:REF`,
    );
  }
  const rest = transport === 'docker' ? text.slice('docker://'.length) : text.slice(transport.length + 1);
  switch (transport) {
    case 'docker':
      return { transport, ref: normalizeForPull(refOrThrow(rest, text)), text };
    case 'docker-daemon':
      if (!rest) throw new LighterError('REF_INVALID', `"${text}": name an image after docker-daemon:`);
      if (!/^(sha256:)?[a-f0-9]{12,64}$/.test(rest)) refOrThrow(rest, text);
      return { transport, name: rest, text };
    case 'store':
      refOrThrow(rest, text);
      return { transport, ref: rest, text };
    default: {
      const { path, ref } = splitPathAndRef(rest, options);
      if (!path) throw new LighterError('INVALID_INPUT', `"${text}": a path is missing after ${transport}:`);
      return ref === undefined ? { transport, path, text } : { transport, path, ref, text };
    }
  }
}

function refOrThrow(text: string, whole: string): Reference {
  if (!text) throw new LighterError('REF_INVALID', `"${whole}": an image reference is missing`);
  try {
    return parseReference(text);
  } catch (e) {
    if (e instanceof LighterError) throw new LighterError('REF_INVALID', `"${whole}": ${e.message}`);
    throw e;
  }
}

/** A reference, an OCI ref name like `v1.0-RC`, or skopeo's `@N` (the Nth image of an archive). */
function parses(text: string): boolean {
  if (/^[\w][\w.-]{0,127}$/.test(text) || /^@\d+$/.test(text)) return true;
  try {
    parseReference(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * `PATH[:REF]`: a ':' separates the reference only when what follows parses as one (so a tag's own
 * ':' stays in the reference, and `a.tar:busybox:1` splits after `a.tar`). A Windows drive letter's
 * ':' never separates, and a path that exists as written is never split.
 */
export function splitPathAndRef(text: string, options: ParsePlaceOptions = {}): { path: string; ref?: string } {
  if (options.exists?.(text)) return { path: text };
  const drive = /^[A-Za-z]:[\\/]/.test(text) ? 2 : 0;
  for (let i = text.indexOf(':', drive); i >= 0; i = text.indexOf(':', i + 1)) {
    const path = text.slice(0, i);
    const ref = text.slice(i + 1);
    if (path && ref && parses(ref)) return { path, ref };
  }
  return { path: text };
}
