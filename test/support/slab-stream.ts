import { SlabReader } from '../../src-main/core/http/read-slabs';

/**
 * `data` read into read slabs piece by piece, as a connection or a file stream reads it, yielding to
 * other work between pieces: memory given back is read into again at once, so a chunk given back
 * before its last holder was done with it would be overwritten by later bytes.
 */
export async function* throughSlabs(data: Buffer, piece: number): AsyncGenerator<Buffer> {
  const slabs = new SlabReader();
  for (let at = 0; at < data.length; at += piece) {
    const n = Math.min(piece, data.length - at);
    data.copy(slabs.space(n), 0, at, at + n);
    yield slabs.took(n);
    await new Promise((resolve) => setImmediate(resolve));
  }
  slabs.close();
}
