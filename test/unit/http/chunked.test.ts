import { describe, expect, it } from 'vitest';
import { ChunkedDecoder } from '../../../src-main/core/http/chunked';

function decodeIn(pieces: string[]): { body: string; done: boolean } {
  const decoder = new ChunkedDecoder((detail) => new Error(detail));
  let body = '';
  for (const piece of pieces) for (const part of decoder.decode(Buffer.from(piece, 'latin1'))) body += part.toString('latin1');
  return { body, done: decoder.done };
}

describe('ChunkedDecoder', () => {
  const wire = '5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nTrailer: x\r\n\r\n';

  it('decodes a body however the input is cut, extensions and trailers included', () => {
    expect(decodeIn([wire])).toEqual({ body: 'hello, world', done: true });
    expect(decodeIn(wire.split(''))).toEqual({ body: 'hello, world', done: true });
    expect(decodeIn([wire.slice(0, 4), wire.slice(4, 13), wire.slice(13)])).toEqual({ body: 'hello, world', done: true });
  });

  it('is not done before the last chunk', () => {
    expect(decodeIn(['5\r\nhello\r\n'])).toEqual({ body: 'hello', done: false });
  });

  it('refuses bad sizes, chunks longer than announced and data after the end', () => {
    expect(() => decodeIn(['zz\r\n'])).toThrow(/bad chunk size/);
    expect(() => decodeIn(['2\r\nhello\r\n'])).toThrow(/longer than its size/);
    expect(() => decodeIn(['0\r\n\r\nmore'])).toThrow(/after the end/);
    expect(() => decodeIn(['1'.repeat(5000)])).toThrow(/too long/);
  });
});
