import type { ImageFilter, ImageSummary } from '../../src-main/core/engine/types';
import { splitRepoTag } from '../format';

/** What the filter bar holds; mapped onto the engine's filter, plus text matched here. */
export interface ImageFilters {
  text: string;
  dangling: 'any' | 'only' | 'hide';
  usage: 'any' | 'inUse' | 'unused';
  reference: string;
  before: string;
  since: string;
}

export const emptyFilters: ImageFilters = { text: '', dangling: 'any', usage: 'any', reference: '', before: '', since: '' };

export type SortColumn = 'repository' | 'tag' | 'id' | 'digest' | 'created' | 'size' | 'unique' | 'containers' | 'platform';
export interface SortState {
  column: SortColumn;
  direction: 'ascending' | 'descending';
}

/** The part of the filters the engine applies (text is matched in the page, as you type). */
export function engineFilter(filters: ImageFilters): ImageFilter | undefined {
  const filter: ImageFilter = {};
  if (filters.dangling !== 'any') filter.dangling = filters.dangling === 'only';
  if (filters.usage !== 'any') filter.inUse = filters.usage === 'inUse';
  if (filters.reference.trim()) filter.reference = filters.reference.trim();
  if (filters.before.trim()) filter.before = filters.before.trim();
  if (filters.since.trim()) filter.since = filters.since.trim();
  return Object.keys(filter).length ? filter : undefined;
}

/** The repository a row is listed under: its first tag's, or none for a dangling image. */
export function primaryRepository(image: ImageSummary): string {
  const first = image.repoTags[0] ?? image.repoDigests[0]?.split('@')[0];
  return first ? splitRepoTag(first).repository : '';
}

export function matchesText(image: ImageSummary, text: string): boolean {
  const needle = text.trim().toLowerCase();
  if (!needle) return true;
  const haystack = [image.id, ...image.repoTags, ...image.repoDigests, image.platform ?? '', image.dangling ? '<none> dangling' : ''];
  return haystack.some((value) => value.toLowerCase().includes(needle));
}

function sortKey(image: ImageSummary, column: SortColumn): string | number {
  switch (column) {
    case 'repository':
      return primaryRepository(image) || '\uffff';
    case 'tag':
      return image.repoTags[0] ? splitRepoTag(image.repoTags[0]).tag : '\uffff';
    case 'id':
      return image.id;
    case 'digest':
      return image.repoDigests[0]?.split('@')[1] ?? '\uffff';
    case 'created':
      return image.created;
    case 'size':
      return image.size;
    case 'unique':
      return image.uniqueSize;
    case 'containers':
      return image.containers;
    case 'platform':
      return image.platform ?? '\uffff';
  }
}

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/** A new array, sorted; ties keep a stable order by tag then ID so rows do not jump on refresh. */
export function sortImages(images: ImageSummary[], sort: SortState): ImageSummary[] {
  const sign = sort.direction === 'ascending' ? 1 : -1;
  return [...images].sort((a, b) => {
    const ka = sortKey(a, sort.column);
    const kb = sortKey(b, sort.column);
    const primary = typeof ka === 'number' && typeof kb === 'number' ? ka - kb : collator.compare(String(ka), String(kb));
    if (primary !== 0) return primary * sign;
    return collator.compare(a.repoTags[0] ?? '\uffff', b.repoTags[0] ?? '\uffff') || a.id.localeCompare(b.id);
  });
}

export function visibleImages(images: ImageSummary[], filters: ImageFilters, sort: SortState): ImageSummary[] {
  return sortImages(
    images.filter((image) => matchesText(image, filters.text)),
    sort,
  );
}

/** Columns whose natural first direction is "biggest / newest first". */
export function defaultDirection(column: SortColumn): SortState['direction'] {
  return column === 'created' || column === 'size' || column === 'unique' || column === 'containers' ? 'descending' : 'ascending';
}
