/** One image in detail: its config as the engine reports it, and its build history. */
import type Docker from 'dockerode';
import { LighterError } from '../errors';
import { engineError } from './engine-errors';
import { realDigests, realTags } from './filters';
import type { HistoryRow, ImageDetail } from './types';

function requireName(nameOrId: string): void {
  if (!nameOrId.trim()) throw new LighterError('INVALID_INPUT', 'an image name or ID is required');
}

interface InspectBody {
  Id: string;
  RepoTags?: string[] | null;
  RepoDigests?: string[] | null;
  Created: string;
  Size: number;
  Os?: string;
  Architecture?: string;
  Variant?: string;
  Author?: string;
  Config?: {
    Env?: string[] | null;
    Cmd?: string[] | null;
    Entrypoint?: string[] | null;
    WorkingDir?: string;
    User?: string;
    ExposedPorts?: Record<string, unknown> | null;
    Volumes?: Record<string, unknown> | null;
    Labels?: Record<string, string> | null;
  } | null;
  RootFS?: { Layers?: string[] | null };
}

export function toImageDetail(raw: InspectBody): ImageDetail {
  const config = raw.Config ?? {};
  return {
    id: raw.Id,
    repoTags: realTags(raw.RepoTags),
    repoDigests: realDigests(raw.RepoDigests),
    created: raw.Created,
    size: raw.Size,
    os: raw.Os ?? '',
    architecture: raw.Architecture ?? '',
    ...(raw.Variant ? { variant: raw.Variant } : {}),
    ...(raw.Author ? { author: raw.Author } : {}),
    config: {
      env: config.Env ?? [],
      cmd: config.Cmd ?? null,
      entrypoint: config.Entrypoint ?? null,
      workingDir: config.WorkingDir ?? '',
      user: config.User ?? '',
      exposedPorts: Object.keys(config.ExposedPorts ?? {}),
      volumes: Object.keys(config.Volumes ?? {}),
      labels: config.Labels ?? {},
    },
    layers: raw.RootFS?.Layers ?? [],
    raw: raw as unknown as Record<string, unknown>,
  };
}

/** The engine's inspect of an image; NOT_FOUND "No such image: X" when it has none by that name. */
export async function inspectImage(docker: Docker, nameOrId: string): Promise<ImageDetail> {
  requireName(nameOrId);
  try {
    return toImageDetail((await docker.getImage(nameOrId).inspect()) as unknown as InspectBody);
  } catch (e) {
    throw engineError(e, nameOrId);
  }
}

// Dockerfile instructions that only change the config. The engine's history API does not carry the
// config's `empty_layer` flag, so a step counts as layer-less when it made 0 bytes AND its command
// is one of these — a RUN that deleted files also makes 0 bytes, but it does make a layer.
const metadataInstructions = [
  'ENV', 'CMD', 'LABEL', 'EXPOSE', 'WORKDIR', 'USER', 'VOLUME', 'ENTRYPOINT', 'ONBUILD',
  'STOPSIGNAL', 'HEALTHCHECK', 'SHELL', 'ARG', 'MAINTAINER',
];
const metadataPattern = new RegExp(`^(?:/bin/sh -c #\\(nop\\)\\s+)?(?:${metadataInstructions.join('|')})\\b`, 'i');

/**
 * Whether a history step made no layer. Legacy builder steps read "/bin/sh -c #(nop)  ENV …",
 * BuildKit ones "ENV …"; a "#(nop)" step that is not COPY/ADD is metadata too.
 */
export function isEmptyLayerStep(createdBy: string, size: number): boolean {
  if (size !== 0) return false;
  const text = createdBy.trim();
  if (metadataPattern.test(text)) return true;
  const nop = /^\/bin\/sh -c #\(nop\)\s+(\S+)/.exec(text);
  return !!nop && !/^(COPY|ADD)$/i.test(nop[1]);
}

interface HistoryBody {
  Id: string;
  Created: number;
  CreatedBy?: string;
  Tags?: string[] | null;
  Size: number;
  Comment?: string;
}

/** The rows `docker history` shows, newest first; "<missing>" IDs are kept as they are. */
export async function imageHistory(docker: Docker, nameOrId: string): Promise<HistoryRow[]> {
  requireName(nameOrId);
  let rows: HistoryBody[];
  try {
    rows = (await docker.getImage(nameOrId).history()) as HistoryBody[];
  } catch (e) {
    throw engineError(e, nameOrId);
  }
  return rows.map((r) => ({
    id: r.Id,
    created: r.Created,
    createdBy: r.CreatedBy ?? '',
    size: r.Size,
    comment: r.Comment ?? '',
    tags: realTags(r.Tags),
    emptyLayer: isEmptyLayerStep(r.CreatedBy ?? '', r.Size),
  }));
}
