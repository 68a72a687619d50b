import { describe, expect, it } from 'vitest';
import { manifestContentSize, parseManifestDocument } from '../../../src-main/core/image/manifest-document';
import { MediaType } from '../../../src-main/core/image/media-types';

const d = (size: number) => ({ mediaType: MediaType.ociLayerGzip, digest: 'sha256:' + 'a'.repeat(64), size });
const bytes = (o: unknown) => Buffer.from(JSON.stringify(o));

describe('parseManifestDocument', () => {
  it('reads OCI and Docker manifests and indexes, by field or by Content-Type', () => {
    const m = parseManifestDocument(bytes({ schemaVersion: 2, mediaType: MediaType.dockerManifest, config: d(10), layers: [d(5), d(7)] }));
    expect(m.kind).toBe('manifest');
    expect(m.mediaType).toBe(MediaType.dockerManifest);
    if (m.kind === 'manifest') expect(manifestContentSize(m.manifest)).toBe(22);
    expect(parseManifestDocument(bytes({ schemaVersion: 2, config: d(1), layers: [] }), MediaType.ociManifest).mediaType).toBe(MediaType.ociManifest);
    const list = parseManifestDocument(bytes({ schemaVersion: 2, manifests: [d(1)] }), `${MediaType.dockerManifestList}; charset=utf-8`);
    expect(list).toMatchObject({ kind: 'index', mediaType: MediaType.dockerManifestList });
    expect(parseManifestDocument(bytes({ schemaVersion: 2, manifests: [] })).kind).toBe('index');
  });

  it('rejects what it must not accept', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ schemaVersion: 2, manifests: [], layers: [] }, /both "manifests" and "layers"/],
      [{ schemaVersion: 2, manifests: [d(1)], config: d(1) }, /both/],
      [{ schemaVersion: 1, fsLayers: [] }, /schema 1/],
      [{ schemaVersion: 3 }, /schemaVersion/],
      [{ schemaVersion: 2, mediaType: 'application/x-other', config: d(1), layers: [] }, /Unsupported manifest media type/],
      [{ schemaVersion: 2, config: d(1), layers: [{ ...d(1), size: -1 }] }, /layers\[0\] has an invalid size/],
      [{ schemaVersion: 2, config: { mediaType: 'x', digest: 'nodigest', size: 1 }, layers: [] }, /config has an invalid digest/],
      [{ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: 'x' }, /not a list/],
      [[1, 2], /not a JSON object/],
    ];
    for (const [doc, message] of cases) expect(() => parseManifestDocument(bytes(doc)), JSON.stringify(doc)).toThrow(message);
    expect(() => parseManifestDocument(Buffer.from('{nope'))).toThrow(/not valid JSON/);
  });
});
