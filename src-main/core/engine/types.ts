import type { ErrorCode } from '../errors';

/** The engine room's vocabulary, shared by the CLI, the IPC contract and the renderer. */

export type EngineSource =
  | 'DOCKER_HOST'
  | 'context'
  | 'docker-desktop'
  | 'default-socket'
  | 'rootless-docker'
  | 'podman'
  | 'npipe'
  | 'user';

/** A place an engine might be listening, and how we came to know it. */
export interface EngineCandidate {
  /** unix:///path, tcp://host:port, ssh://user@host, npipe:////./pipe/name */
  host: string;
  source: EngineSource;
  /** Human explanation, e.g. `docker context "colima"` or `$DOCKER_HOST`. */
  foundBy: string;
  /** Context name when source is 'context'. */
  context?: string;
  tls?: { caPath?: string; certPath?: string; keyPath?: string; verify: boolean };
}

/** Which engine the user asked for; none means "the first one discovery finds". */
export type EngineSelection = { context: string } | { host: string };

/** A docker context, for the engine picker. */
export interface EngineContextInfo {
  name: string;
  /** Endpoint host; '' when the context has no docker endpoint. */
  host: string;
  description?: string;
  /** True for the context the docker CLI would use now. */
  current: boolean;
}

export interface EngineInfo {
  /** e.g. "Docker Engine", "Docker Desktop", "Podman", "Colima" */
  name: string;
  version: string;
  /** The API version we talk, after negotiation. */
  apiVersion: string;
  minApiVersion?: string;
  os: string;
  arch: string;
  kernelVersion?: string;
  /** e.g. "Debian GNU/Linux 12 (bookworm)" or "Docker Desktop", when the engine says. */
  operatingSystem?: string;
  host: string;
  source: EngineSource;
  foundBy: string;
}

export interface EngineAttempt {
  host: string;
  foundBy: string;
  error: string;
}

export type EngineState = 'connecting' | 'connected' | 'unreachable';

export interface EngineStatus {
  state: EngineState;
  engine?: EngineInfo;
  /** What was tried and why each failed, when not connected. */
  attempts: EngineAttempt[];
  /** Milliseconds until the next background retry, when unreachable. */
  retryInMs?: number;
}

export interface ImageSummary {
  /** Full ID, sha256:… */
  id: string;
  /** 12-hex short ID, as docker prints it. */
  shortId: string;
  /** `repo:tag` references; empty when dangling. */
  repoTags: string[];
  /** `repo@sha256:…` */
  repoDigests: string[];
  /** Unix seconds. */
  created: number;
  size: number;
  /** Bytes shared with other images; -1 when unknown. */
  sharedSize: number;
  /** size − sharedSize; -1 when unknown. */
  uniqueSize: number;
  /** Containers (running or not) using this image. */
  containers: number;
  dangling: boolean;
  /** os/arch[/variant], when known. */
  platform?: string;
  labels: Record<string, string>;
}

export interface ImageDetail {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  created: string;
  size: number;
  os: string;
  architecture: string;
  variant?: string;
  author?: string;
  config: {
    env: string[];
    cmd: string[] | null;
    entrypoint: string[] | null;
    workingDir: string;
    user: string;
    exposedPorts: string[];
    volumes: string[];
    labels: Record<string, string>;
  };
  layers: string[];
  /** The engine's inspect JSON exactly as returned. */
  raw: Record<string, unknown>;
}

export interface HistoryRow {
  /** Image ID of the step, or "<missing>" when the layer was built elsewhere. */
  id: string;
  created: number;
  createdBy: string;
  size: number;
  comment: string;
  tags: string[];
  /** True for steps that made no layer (ENV, CMD, …). */
  emptyLayer: boolean;
}

/** One image event from the engine (pull, tag, untag, delete, load, import, …). */
export interface ImageEvent {
  action: string;
  /** Image ID or reference the event is about. */
  id: string;
  /** Unix seconds. */
  time: number;
}

export interface ContainerRef {
  id: string;
  name: string;
  state: string;
}

export interface ImageUsage {
  image: string;
  containers: ContainerRef[];
}

export interface PrunePreview {
  all: boolean;
  images: ImageSummary[];
  /** Bytes that would return to the disk (unique sizes, shared layers counted once). */
  reclaimBytes: number;
}

export interface RemoveResult {
  removed: string[];
  untagged: string[];
  failed: { image: string; error: string; code?: ErrorCode; containers?: ContainerRef[] }[];
}

export interface PruneResult {
  deleted: string[];
  /** Tags removed on the way (an `all` prune untags before it deletes). */
  untagged?: string[];
  reclaimedBytes: number;
}

export interface DiskUsage {
  images: { count: number; active: number; size: number; reclaimable: number };
  containers: { count: number; active: number; size: number; reclaimable: number };
  volumes: { count: number; active: number; size: number; reclaimable: number };
  buildCache: { count: number; active: number; size: number; reclaimable: number };
}

export interface ImageFilter {
  text?: string;
  dangling?: boolean;
  inUse?: boolean;
  /** docker-style reference glob, e.g. `busybox*` or `*:latest` */
  reference?: string;
  /** only images created before / since this image (name or ID) */
  before?: string;
  since?: string;
}
