import {
  diskUsage,
  discoverEngines,
  EngineConnection,
  imageHistory,
  imagesInUse,
  inspectImage,
  listContexts,
  listImages,
  pruneImages,
  prunePreview,
  removeImages,
  tagImage,
} from '../core/engine';
import type { JobManager } from '../core/jobs/manager';
import type { Handlers } from './router';

export interface Services {
  engine: EngineConnection;
  jobs: JobManager;
  env: NodeJS.ProcessEnv;
  home: string;
}

/** Every contract method, mapped onto core. Thin on purpose: logic lives in core, usable from the CLI. */
export function createHandlers({ engine, jobs, env, home }: Services): Handlers {
  return {
    'app.info': () => ({ version: __LIGHTER_VERSION__, platform: process.platform, arch: process.arch }),

    'engine.status': () => engine.status(),
    'engine.candidates': () => ({
      candidates: discoverEngines({ env, home }),
      contexts: listContexts({ env, home }),
    }),
    'engine.select': (input) => engine.select('auto' in input ? undefined : input),
    'engine.retry': () => engine.refresh(),

    'images.list': (input) => listImages(engine.docker(), input?.filter),
    'images.inspect': ({ image }) => inspectImage(engine.docker(), image),
    'images.history': ({ image }) => imageHistory(engine.docker(), image),
    'images.tag': async ({ source, target }) => {
      await tagImage(engine.docker(), source, target);
      return { source, target };
    },
    'images.usage': ({ images }) => imagesInUse(engine.docker(), images),
    'images.remove': ({ images, force }) => {
      const docker = engine.docker();
      const title = images.length === 1 ? `Remove ${images[0]}` : `Remove ${images.length} images`;
      return jobs.start('remove', title, async (job) => {
        job.progress({ current: 0, total: images.length });
        return removeImages(docker, images, {
          force,
          signal: job.signal,
          onProgress: ({ done, image }) => job.progress({ current: done, message: `Removed ${image}` }),
        });
      });
    },
    'images.prunePreview': ({ all }) => prunePreview(engine.docker(), { all }),
    'images.prune': ({ all }) => {
      const docker = engine.docker();
      return jobs.start('prune', all ? 'Prune unused images' : 'Prune dangling images', (job) =>
        pruneImages(docker, { all, signal: job.signal }),
      );
    },

    'system.df': () => diskUsage(engine.docker()),

    'jobs.list': () => jobs.list(),
    'jobs.cancel': ({ id }) => ({ cancelled: jobs.cancel(id) }),
    'jobs.clear': () => {
      jobs.clearFinished();
      return { cleared: true as const };
    },
  };
}
