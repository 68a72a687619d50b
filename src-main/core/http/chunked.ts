const maxLine = 4096;

/**
 * Decodes an HTTP/1.1 chunked body as it arrives, without copying: the data comes out as views of
 * the input chunks. Chunk extensions and trailers are read and ignored.
 */
export class ChunkedDecoder {
  /** `invalid` makes the error for a malformed body, in the words of whoever sent it. */
  constructor(private readonly invalid: (detail: string) => Error) {}

  private state: 'size' | 'data' | 'data-end' | 'trailer' | 'done' = 'size';
  private line = '';
  private remaining = 0;

  get done(): boolean {
    return this.state === 'done';
  }

  /** The body bytes in `input`; anything after the end of the body is refused. */
  decode(input: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let at = 0;
    while (at < input.length) {
      switch (this.state) {
        case 'data': {
          const take = Math.min(this.remaining, input.length - at);
          out.push(input.subarray(at, at + take));
          at += take;
          this.remaining -= take;
          if (this.remaining === 0) this.state = 'data-end';
          break;
        }
        case 'size':
        case 'data-end':
        case 'trailer': {
          const end = input.indexOf(10, at);
          const stop = end < 0 ? input.length : end + 1;
          this.line += input.toString('latin1', at, stop);
          at = stop;
          if (this.line.length > maxLine) throw this.invalid('a chunk header line is too long');
          if (end >= 0) this.endOfLine(this.line.replace(/\r?\n$/, ''));
          break;
        }
        case 'done':
          throw this.invalid('data after the end of the body');
      }
    }
    return out;
  }

  private endOfLine(line: string): void {
    this.line = '';
    if (this.state === 'data-end') {
      if (line !== '') throw this.invalid('a chunk is longer than its size');
      this.state = 'size';
    } else if (this.state === 'trailer') {
      if (line === '') this.state = 'done';
    } else {
      const size = /^([0-9a-fA-F]{1,12})(?:[ \t]*;.*)?$/.exec(line);
      if (!size) throw this.invalid(`bad chunk size "${line.slice(0, 40)}"`);
      this.remaining = parseInt(size[1], 16);
      this.state = this.remaining === 0 ? 'trailer' : 'data';
    }
  }
}
