import { describe, expect, it } from 'vitest';
import { emptyFilters, engineFilter, matchesText, primaryRepository, sortImages, visibleImages } from '../../../src-renderer/store/image-query';
import { image } from './fake-bridge';

describe('image filters', () => {
  it('maps the filter bar onto the engine filter', () => {
    expect(engineFilter(emptyFilters)).toBeUndefined();
    expect(engineFilter({ ...emptyFilters, text: 'busy' })).toBeUndefined();
    expect(engineFilter({ ...emptyFilters, dangling: 'only', usage: 'unused', reference: ' busybox* ', since: 'alpine:3' })).toEqual({
      dangling: true,
      inUse: false,
      reference: 'busybox*',
      since: 'alpine:3',
    });
    expect(engineFilter({ ...emptyFilters, dangling: 'hide', usage: 'inUse', before: 'x' })).toEqual({ dangling: false, inUse: true, before: 'x' });
  });

  it('matches text against tags, IDs, digests and platform, ignoring case', () => {
    const i = image({ repoTags: ['Registry.local/Team/App:1'], repoDigests: ['registry.local/team/app@sha256:feedbeef'], platform: 'linux/arm64' });
    expect(matchesText(i, 'team/app')).toBe(true);
    expect(matchesText(i, 'feedbeef')).toBe(true);
    expect(matchesText(i, 'arm64')).toBe(true);
    expect(matchesText(i, i.id.slice(7, 15))).toBe(true);
    expect(matchesText(i, 'nginx')).toBe(false);
    expect(matchesText(image({ repoTags: [], dangling: true }), 'dangling')).toBe(true);
  });
});

describe('image sort', () => {
  const a = image({ repoTags: ['alpine:3'], size: 5, created: 30 });
  const b = image({ repoTags: ['busybox:1', 'busybox:latest'], size: 50, created: 10 });
  const c = image({ repoTags: [], dangling: true, size: 500, created: 20 });

  it('sorts by each column and direction; untagged rows sort last by name', () => {
    expect(sortImages([b, c, a], { column: 'repository', direction: 'ascending' }).map((i) => i.id)).toEqual([a.id, b.id, c.id]);
    expect(sortImages([a, b, c], { column: 'size', direction: 'descending' }).map((i) => i.id)).toEqual([c.id, b.id, a.id]);
    expect(sortImages([a, b, c], { column: 'created', direction: 'ascending' }).map((i) => i.id)).toEqual([b.id, c.id, a.id]);
  });

  it('keeps one row per image whatever its number of tags', () => {
    const rows = visibleImages([a, b, c], { ...emptyFilters, text: 'busybox' }, { column: 'tag', direction: 'ascending' });
    expect(rows).toHaveLength(1);
    expect(rows[0].repoTags).toEqual(['busybox:1', 'busybox:latest']);
    expect(primaryRepository(rows[0])).toBe('busybox');
  });
});
