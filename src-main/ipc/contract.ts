import { z } from 'zod';
import type {
  DiskUsage,
  EngineCandidate,
  EngineContextInfo,
  EngineStatus,
  HistoryRow,
  ImageDetail,
  ImageSummary,
  ImageUsage,
  PrunePreview,
} from '../core/engine/types';
import type { ErrorValue } from '../core/errors';
import type { JobInfo } from '../core/jobs/types';

/**
 * The one contract between the renderer and the main process. Each method has a zod schema for its
 * input (checked by the router before any handler runs) and a result type; each event a payload type.
 * The router, the Electron binding, the preload, the renderer's client and the test bridge all follow
 * from this file.
 */

interface MethodSpec<I extends z.ZodType, R> {
  input: I;
  /** Type-only: never set at run time. */
  readonly result?: R;
}

function method<R>() {
  return <I extends z.ZodType>(input: I): MethodSpec<I, R> => ({ input });
}

const imageRef = z.string().trim().min(1, 'An image name or ID is required').max(512);
const none = z.object({}).strict().optional();

export const imageFilterSchema = z
  .object({
    text: z.string().max(256).optional(),
    dangling: z.boolean().optional(),
    inUse: z.boolean().optional(),
    reference: z.string().max(256).optional(),
    before: z.string().max(512).optional(),
    since: z.string().max(512).optional(),
  })
  .strict();


/** A docker context as the engine picker lists it. */
export type ContextInfo = EngineContextInfo;

export interface AppInfo {
  version: string;
  platform: string;
  arch: string;
}

export const contract = {
  'app.info': method<AppInfo>()(none),

  'engine.status': method<EngineStatus>()(none),
  'engine.candidates': method<{ candidates: EngineCandidate[]; contexts: EngineContextInfo[] }>()(none),
  /** Pick an engine: a docker context, a host the user typed, or back to automatic discovery. */
  'engine.select': method<EngineStatus>()(
    z.union([
      z.object({ context: z.string().min(1).max(256) }).strict(),
      z.object({ host: z.string().min(1).max(1024) }).strict(),
      z.object({ auto: z.literal(true) }).strict(),
    ]),
  ),
  'engine.retry': method<EngineStatus>()(none),

  'images.list': method<ImageSummary[]>()(z.object({ filter: imageFilterSchema.optional() }).strict().optional()),
  'images.inspect': method<ImageDetail>()(z.object({ image: imageRef }).strict()),
  'images.history': method<HistoryRow[]>()(z.object({ image: imageRef }).strict()),
  'images.tag': method<{ source: string; target: string }>()(
    z.object({ source: imageRef, target: z.string().trim().min(1, 'A new tag is required').max(512) }).strict(),
  ),
  'images.usage': method<ImageUsage[]>()(z.object({ images: z.array(imageRef).min(1).max(5000) }).strict()),
  /** Starts a job; progress arrives as `job` events. */
  'images.remove': method<JobInfo>()(z.object({ images: z.array(imageRef).min(1).max(5000), force: z.boolean().default(false) }).strict()),
  'images.prunePreview': method<PrunePreview>()(z.object({ all: z.boolean() }).strict()),
  'images.prune': method<JobInfo>()(z.object({ all: z.boolean() }).strict()),

  'system.df': method<DiskUsage>()(none),

  'jobs.list': method<JobInfo[]>()(none),
  'jobs.cancel': method<{ cancelled: boolean }>()(z.object({ id: z.string().uuid() }).strict()),
  'jobs.clear': method<{ cleared: true }>()(none),
} as const;

export type Contract = typeof contract;
export type MethodName = keyof Contract;
export type Input<M extends MethodName> = z.input<Contract[M]['input']>;
export type ParsedInput<M extends MethodName> = z.output<Contract[M]['input']>;
export type Result<M extends MethodName> = Contract[M] extends MethodSpec<z.ZodType, infer R> ? R : never;

export const methodNames = Object.keys(contract) as MethodName[];

/** Events pushed from main to the renderer. */
export interface Events {
  job: JobInfo;
  'engine.status': EngineStatus;
  'images.changed': { at: number };
}
export type EventName = keyof Events;

export type Reply<T = unknown> = { ok: true; value: T } | { ok: false; error: ErrorValue };

/** What the preload puts on `window.lighter`, and what the test bridge installs in its place. */
export interface LighterBridge {
  invoke(method: string, input?: unknown): Promise<Reply>;
  /** Subscribes to every event; returns an unsubscribe function. */
  on(listener: (name: EventName, payload: unknown) => void): () => void;
  /** The filesystem path of a dropped file (Electron's webUtils); empty when unknown. */
  pathForFile(file: File): string;
}
