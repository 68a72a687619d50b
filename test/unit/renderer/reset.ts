import { useEngine } from '../../../src-renderer/store/engine';
import { emptyFilters } from '../../../src-renderer/store/image-query';
import { useImages } from '../../../src-renderer/store/images';
import { useJobs } from '../../../src-renderer/store/jobs';
import { useUi } from '../../../src-renderer/store/ui';

/** The stores are module singletons: put them back to their first state between tests. */
export function resetStores(): void {
  useEngine.setState({ status: { state: 'connecting', attempts: [] }, statusAt: Date.now(), busy: false, candidates: undefined, contexts: undefined });
  useImages.setState({ list: [], loading: false, loaded: false, error: undefined, filters: emptyFilters, sort: { column: 'created', direction: 'descending' }, selection: new Set() });
  useJobs.setState({ jobs: new Map() });
  useUi.setState({ view: { name: 'images' }, toasts: [] });
}
