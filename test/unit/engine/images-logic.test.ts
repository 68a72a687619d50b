import { describe, expect, it } from 'vitest';
import { diskUsageFromDf } from '../../../src-main/core/engine/disk-usage';
import { chainIds, platformOf, preciseTime } from '../../../src-main/core/engine/facts';
import { globToRegExp, matchesReference, matchesText, repositoryOf, tagOf } from '../../../src-main/core/engine/filters';
import { humanDuration, humanSize } from '../../../src-main/core/engine/format';
import { parseFilterArgs } from '../../../src-main/core/engine/images';
import { isEmptyLayerStep } from '../../../src-main/core/engine/inspect';
import { layerSizesFromHistory, pruneCandidates, reclaimBytes } from '../../../src-main/core/engine/prune';
import { sha256 } from '../../../src-main/core/image/digest';
import type { HistoryRow, ImageSummary } from '../../../src-main/core/engine/types';

describe('reference globs (docker semantics)', () => {
  const matches = (pattern: string, ref: string) => matchesReference(globToRegExp(pattern), ref);

  it('matches the familiar repo:tag, or the repo alone', () => {
    expect(matches('busybox', 'busybox:latest')).toBe(true);
    expect(matches('busybox:1*', 'busybox:1.36')).toBe(true);
    expect(matches('*:latest', 'busybox:latest')).toBe(true);
    expect(matches('busy*', 'busybox:latest')).toBe(true);
    expect(matches('lighter-fixture/*', 'lighter-fixture/multi:1.0')).toBe(true);
    expect(matches('lighter-fixture/*:1.?', 'lighter-fixture/multi:1.0')).toBe(true);
    expect(matches('localhost:5000/*/*', 'localhost:5000/lighter-fixture/multi:1.0')).toBe(true);
  });

  it('never lets * or ? cross a slash', () => {
    expect(matches('*', 'lighter-fixture/multi:1.0')).toBe(false);
    expect(matches('*:latest', 'lighter-fixture/multi:latest')).toBe(false);
    expect(matches('lighter?fixture/multi', 'lighter/fixture/multi:1')).toBe(false);
  });

  it('supports classes and escapes, and rejects broken patterns', () => {
    expect(matches('[a-c]*', 'busybox:1')).toBe(true);
    expect(matches('[^b]*', 'busybox:1')).toBe(false);
    expect(matches('a\\*', 'a*:1')).toBe(true);
    expect(matches('a\\*', 'ab:1')).toBe(false);
    expect(() => globToRegExp('[abc')).toThrow(/bad glob pattern/);
    expect(() => globToRegExp('abc\\')).toThrow(/bad glob pattern/);
  });

  it('splits repo and tag around a registry port', () => {
    expect(repositoryOf('localhost:5000/app')).toBe('localhost:5000/app');
    expect(tagOf('localhost:5000/app')).toBe('');
    expect(repositoryOf('localhost:5000/app:2')).toBe('localhost:5000/app');
    expect(tagOf('localhost:5000/app:2')).toBe('2');
  });

  it('finds text in tags or the ID, ignoring case', () => {
    expect(matchesText('MULTI', 'sha256:abc', ['lighter-fixture/multi:1.0'])).toBe(true);
    expect(matchesText('sha256:ab', 'sha256:abc', [])).toBe(true);
    expect(matchesText('zzz', 'sha256:abc', ['x:1'])).toBe(false);
  });
});

describe('CLI filter words', () => {
  it('parses every key and refuses unknown ones clearly', () => {
    expect(parseFilterArgs(['dangling=true', 'in-use=false', 'reference=busy*', 'before=a:1', 'since=b', 'text=x'])).toEqual({
      dangling: true,
      inUse: false,
      reference: 'busy*',
      before: 'a:1',
      since: 'b',
      text: 'x',
    });
    expect(() => parseFilterArgs(['label=x'])).toThrow(/unknown filter "label"/);
    expect(() => parseFilterArgs(['dangling=maybe'])).toThrow(/true or false/);
    expect(() => parseFilterArgs(['dangling'])).toThrow(/not KEY=VALUE/);
    expect(() => parseFilterArgs(['reference=[x'])).toThrow(/bad glob/);
  });
});

describe('docker-style sizes and durations', () => {
  it('formats like the docker CLI', () => {
    expect(humanSize(0)).toBe('0B');
    expect(humanSize(999)).toBe('999B');
    expect(humanSize(2047798)).toBe('2.05MB');
    expect(humanSize(65536)).toBe('65.5kB');
    expect(humanSize(1_980_000)).toBe('1.98MB');
    expect(humanSize(5_000_000_000)).toBe('5GB');
    expect(humanSize(2_015_087, 4)).toBe('2.015MB');
    expect(humanDuration(0.5)).toBe('Less than a second');
    expect(humanDuration(30)).toBe('30 seconds');
    expect(humanDuration(90)).toBe('About a minute');
    expect(humanDuration(3600)).toBe('About an hour');
    expect(humanDuration(3 * 86400)).toBe('3 days');
    expect(humanDuration(20 * 86400)).toBe('2 weeks');
    expect(humanDuration(90 * 86400)).toBe('3 months');
    expect(humanDuration(800 * 86400)).toBe('2 years');
  });
});

describe('history: which steps made no layer', () => {
  it('counts 0-byte metadata steps as empty, but not 0-byte RUN or COPY steps', () => {
    expect(isEmptyLayerStep('/bin/sh -c #(nop)  ENV APP=x', 0)).toBe(true);
    expect(isEmptyLayerStep('/bin/sh -c #(nop)  CMD ["sh"]', 0)).toBe(true);
    expect(isEmptyLayerStep('/bin/sh -c #(nop) WORKDIR /srv', 0)).toBe(true);
    expect(isEmptyLayerStep('LABEL a=b', 0)).toBe(true);
    expect(isEmptyLayerStep('EXPOSE map[8080/tcp:{}]', 0)).toBe(true);
    expect(isEmptyLayerStep('/bin/sh -c #(nop)  ARG X', 0)).toBe(true);
    expect(isEmptyLayerStep('/bin/sh -c rm /big', 0)).toBe(false);
    expect(isEmptyLayerStep('RUN /bin/sh -c rm /big # buildkit', 0)).toBe(false);
    expect(isEmptyLayerStep('/bin/sh -c #(nop) COPY file:abc in /empty ', 0)).toBe(false);
    expect(isEmptyLayerStep('/bin/sh -c #(nop)  ENV APP=x', 12)).toBe(false);
    expect(isEmptyLayerStep('/bin/busybox --install -s /bin', 0)).toBe(false);
  });
});

describe('prune arithmetic', () => {
  const row = (createdBy: string, size: number): HistoryRow => ({
    id: '<missing>',
    created: 0,
    createdBy,
    size,
    comment: '',
    tags: [],
    emptyLayer: isEmptyLayerStep(createdBy, size),
  });

  it('pairs non-empty history steps with layers, oldest first', () => {
    const rows = [row('/bin/sh -c #(nop)  CMD ["sh"]', 0), row('/bin/sh -c rm x', 0), row('/bin/sh -c #(nop)  ENV A=1', 0), row('COPY x', 100)];
    expect(layerSizesFromHistory(rows, 2)).toEqual([100, 0]);
    expect(layerSizesFromHistory(rows, 3)).toBeUndefined();
  });

  it('counts layers shared among removed images once, and never layers a kept image uses', () => {
    const [a, b, c, d] = ['sha256:a', 'sha256:b', 'sha256:c', 'sha256:d'];
    const removed = [
      { chainIds: [a, b], layerSizes: [100, 10], uniqueSize: 10 },
      { chainIds: [a, c], layerSizes: [100, 20], uniqueSize: 20 },
      { chainIds: [d, b], layerSizes: [1000, 10], uniqueSize: 0 },
    ];
    // a is shared by two removed images (once: 100), b and c are only in removed images, d is kept.
    expect(reclaimBytes(removed, [{ chainIds: [d] }])).toBe(100 + 10 + 20);
    expect(reclaimBytes(removed, [])).toBe(100 + 10 + 20 + 1000);
    // Unknown layer sizes fall back to the image's unique size.
    expect(reclaimBytes([{ chainIds: [a], uniqueSize: 7 }], [])).toBe(7);
  });

  it('chooses dangling unused images, or every unused one with all', () => {
    const img = (id: string, dangling: boolean, containers: number) => ({ id, dangling, containers }) as ImageSummary;
    const images = [img('1', true, 0), img('2', true, 1), img('3', false, 0), img('4', false, 2)];
    expect(pruneCandidates(images, false).map((i) => i.id)).toEqual(['1']);
    expect(pruneCandidates(images, true).map((i) => i.id)).toEqual(['1', '3']);
  });

  it('derives chain IDs like the image spec says', () => {
    const diffs = ['sha256:1111', 'sha256:2222', 'sha256:3333'];
    const second = sha256('sha256:1111 sha256:2222');
    expect(chainIds(diffs)).toEqual([diffs[0], second, sha256(`${second} sha256:3333`)]);
    expect(platformOf({ Os: 'linux', Architecture: 'arm', Variant: 'v7' })).toBe('linux/arm/v7');
  });

  it('orders creation times to the nanosecond', () => {
    expect(preciseTime('2026-11-22T14:21:27.217184922Z') < preciseTime('2026-11-22T14:21:27.217184923Z')).toBe(true);
    expect(preciseTime('2026-11-22T14:21:27.5Z')).toBe(preciseTime('2026-11-22T14:21:27.500000000Z'));
    expect(preciseTime('2026-11-22T14:21:27Z') < preciseTime('2026-11-22T14:21:27.000000001Z')).toBe(true);
    expect(preciseTime('2026-11-22T15:21:27+01:00')).toBe(preciseTime('2026-11-22T14:21:27Z'));
  });
});

describe('disk usage arithmetic', () => {
  it('matches the docker CLI df table', () => {
    const usage = diskUsageFromDf({
      LayersSize: 1000,
      Images: [
        { Containers: 1, Size: 600, SharedSize: 100 },
        { Containers: 0, Size: 500, SharedSize: 100 },
      ],
      Containers: [
        { State: 'running', SizeRw: 5 },
        { State: 'exited', SizeRw: 7 },
      ],
      Volumes: [{ UsageData: { Size: 50, RefCount: 1 } }, { UsageData: { Size: 30, RefCount: 0 } }, { UsageData: null }],
      BuildCache: [
        { Size: 40, InUse: false, Shared: false },
        { Size: 60, InUse: true, Shared: false },
        { Size: 99, InUse: false, Shared: true },
      ],
    });
    expect(usage).toEqual({
      images: { count: 2, active: 1, size: 1000, reclaimable: 500 },
      containers: { count: 2, active: 1, size: 12, reclaimable: 7 },
      volumes: { count: 3, active: 1, size: 80, reclaimable: 30 },
      buildCache: { count: 3, active: 1, size: 100, reclaimable: 40 },
    });
  });
});
