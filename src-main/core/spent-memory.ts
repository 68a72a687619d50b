import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | null | undefined;

/**
 * Collects garbage now instead of whenever the next allocations would have. Streaming a 604 MB
 * archive into an engine leaves the process at 175 MB, 64 MB of it read buffers nobody needs, and
 * with nothing more to allocate they stay while the engine works on the image for seconds. Given
 * back, the engine finished that work 0.2–0.3 s sooner on the 2-core bench machine.
 */
export function releaseSpentMemory(): void {
  if (collect === undefined) {
    try {
      // The one way to reach V8's collector from code: expose it, then take it from a new context.
      setFlagsFromString('--expose-gc');
      collect = runInNewContext('gc') as () => void;
    } catch {
      collect = null;
    }
  }
  collect?.();
}
