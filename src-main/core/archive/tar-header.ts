import { LighterError } from '../errors';

/** The 512-byte header block of ustar, GNU and v7 tar, and pax extended records. */
export const BLOCK = 512;

export type TarEntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'char-device' | 'block-device' | 'fifo' | 'other';

export interface RawHeader {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  typeflag: string;
  linkname: string;
  uname: string;
  gname: string;
  /** ustar `prefix` field; empty for GNU and v7 headers, where those bytes mean something else. */
  prefix: string;
}

export function entryTypeOf(typeflag: string): TarEntryType {
  switch (typeflag) {
    case '0':
    case '\0':
    case '7':
      return 'file';
    case '1':
      return 'hardlink';
    case '2':
      return 'symlink';
    case '3':
      return 'char-device';
    case '4':
      return 'block-device';
    case '5':
      return 'directory';
    case '6':
      return 'fifo';
    default:
      return 'other';
  }
}

/** Types whose size field says nothing about data blocks that follow (as in Go's archive/tar). */
export function hasNoData(type: TarEntryType): boolean {
  return type !== 'file' && type !== 'other';
}

export function isZeroBlock(block: Buffer): boolean {
  for (let i = 0; i < BLOCK; i++) if (block[i] !== 0) return false;
  return true;
}

function invalid(message: string): LighterError {
  return new LighterError('ARCHIVE_INVALID', message);
}

function cString(block: Buffer, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? length : end).toString('utf8');
}

/** Octal (NUL/space padded) or GNU base-256 numbers; anything else is a forged header. */
function parseNumber(block: Buffer, start: number, length: number, what: string, offset: number): number {
  const first = block[start];
  if (first & 0x80) {
    if (first === 0xff) throw invalid(`Invalid tar header at offset ${offset}: negative ${what}`);
    let value = first & 0x7f;
    for (let i = 1; i < length; i++) {
      value = value * 256 + block[start + i];
      if (value > Number.MAX_SAFE_INTEGER) throw invalid(`Invalid tar header at offset ${offset}: ${what} is too large`);
    }
    return value;
  }
  const text = block
    .subarray(start, start + length)
    .toString('latin1')
    .replace(/^[\0 ]+|[\0 ]+$/g, '');
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw invalid(`Invalid tar header at offset ${offset}: ${what} field is not a number`);
  const value = parseInt(text, 8);
  if (!Number.isSafeInteger(value)) throw invalid(`Invalid tar header at offset ${offset}: ${what} is too large`);
  return value;
}

function checksumMatches(block: Buffer): boolean {
  const recordedText = block.subarray(148, 156).toString('latin1').replace(/^[\0 ]+|[\0 ]+$/g, '');
  if (!/^[0-7]{1,7}$/.test(recordedText)) return false;
  const recorded = parseInt(recordedText, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : block[i];
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  // Some old writers summed signed chars; both are accepted, as GNU tar does.
  return recorded === unsigned || recorded === signed;
}

/** Decodes and sanity-checks one header block; `offset` is only for messages. */
export function decodeHeader(block: Buffer, offset: number): RawHeader {
  if (!checksumMatches(block)) {
    throw invalid(offset === 0 ? 'Not a tar archive: the first header has no valid checksum' : `Invalid tar header at offset ${offset}: bad checksum`);
  }
  const magic = block.subarray(257, 263).toString('latin1');
  const isUstar = magic === 'ustar\0';
  return {
    name: cString(block, 0, 100),
    mode: parseNumber(block, 100, 8, 'mode', offset),
    uid: parseNumber(block, 108, 8, 'uid', offset),
    gid: parseNumber(block, 116, 8, 'gid', offset),
    size: parseNumber(block, 124, 12, 'size', offset),
    mtime: parseNumber(block, 136, 12, 'mtime', offset),
    typeflag: String.fromCharCode(block[156]),
    linkname: cString(block, 157, 100),
    uname: cString(block, 265, 32),
    gname: cString(block, 297, 32),
    prefix: isUstar ? cString(block, 345, 155) : '',
  };
}

/** Parses pax records (`<len> <key>=<value>\n`); strict, since lengths steer the parser. */
export function parsePax(data: Buffer, offset: number): Map<string, string> {
  const records = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    if (data[pos] === 0) break; // some writers pad the record block with NULs
    const space = data.indexOf(0x20, pos);
    const lengthText = space < 0 ? '' : data.subarray(pos, space).toString('latin1');
    if (!/^[1-9][0-9]{0,7}$/.test(lengthText)) throw invalid(`Invalid pax header at offset ${offset}: bad record length`);
    const length = parseInt(lengthText, 10);
    const end = pos + length;
    if (end > data.length || data[end - 1] !== 0x0a) throw invalid(`Invalid pax header at offset ${offset}: record overruns its block`);
    const record = data.subarray(space + 1, end - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq <= 0) throw invalid(`Invalid pax header at offset ${offset}: record without a key`);
    records.set(record.slice(0, eq), record.slice(eq + 1));
    pos = end;
  }
  return records;
}

export function paxNumber(value: string, key: string, offset: number): number {
  if (!/^[0-9]{1,16}(\.[0-9]*)?$/.test(value)) throw invalid(`Invalid pax header at offset ${offset}: ${key} is not a number`);
  return Math.floor(Number(value));
}

// ---- encoding ----

export interface HeaderFields {
  path: string;
  type: TarEntryType;
  size: number;
  mode: number;
  mtime: number;
  uid: number;
  gid: number;
  linkname: string;
}

const typeflags: Partial<Record<TarEntryType, string>> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  'char-device': '3',
  'block-device': '4',
  directory: '5',
  fifo: '6',
};

function writeString(block: Buffer, start: number, length: number, value: string): void {
  block.write(value, start, length, 'utf8');
}

function writeOctal(block: Buffer, start: number, length: number, value: number): void {
  block.write(value.toString(8).padStart(length - 1, '0') + '\0', start, length, 'latin1');
}

function fitsOctal(value: number, length: number): boolean {
  return value >= 0 && value < 8 ** (length - 1);
}

/** A pax record whose length prefix counts itself. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body) + 1;
  while (String(length).length + Buffer.byteLength(body) !== length) length++;
  return `${length}${body}`;
}

function ustarBlock(fields: HeaderFields, name: string, prefix: string, linkname: string, size: number, typeflag: string): Buffer {
  const block = Buffer.alloc(BLOCK);
  writeString(block, 0, 100, name);
  writeOctal(block, 100, 8, fields.mode & 0o7777777);
  writeOctal(block, 108, 8, fitsOctal(fields.uid, 8) ? fields.uid : 0);
  writeOctal(block, 116, 8, fitsOctal(fields.gid, 8) ? fields.gid : 0);
  writeOctal(block, 124, 12, size);
  writeOctal(block, 136, 12, fitsOctal(fields.mtime, 12) ? fields.mtime : 0);
  block.write('        ', 148, 8, 'latin1');
  block.write(typeflag, 156, 1, 'latin1');
  writeString(block, 157, 100, linkname);
  block.write('ustar\0' + '00', 257, 8, 'latin1');
  writeOctal(block, 329, 8, 0);
  writeOctal(block, 337, 8, 0);
  writeString(block, 345, 155, prefix);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += block[i];
  block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  return block;
}

/** Splits a path into ustar prefix + name when it fits, else returns undefined. */
function splitUstar(path: string): { prefix: string; name: string } | undefined {
  if (Buffer.byteLength(path) <= 100) return { prefix: '', name: path };
  for (let cut = path.indexOf('/'); cut >= 0; cut = path.indexOf('/', cut + 1)) {
    const prefix = path.slice(0, cut);
    const name = path.slice(cut + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name !== '') return { prefix, name };
  }
  return undefined;
}

/** Header blocks for one entry: plain ustar when it fits, else a pax header first. */
export function encodeHeader(fields: HeaderFields): Buffer {
  const typeflag = typeflags[fields.type];
  if (!typeflag) throw new LighterError('INVALID_INPUT', `Cannot write tar entries of type ${fields.type}`);
  const pax: string[] = [];
  const split = splitUstar(fields.path);
  if (!split || /[^\x20-\x7e]/.test(fields.path)) pax.push(paxRecord('path', fields.path));
  const linkFits = Buffer.byteLength(fields.linkname) <= 100 && !/[^\x20-\x7e]/.test(fields.linkname);
  if (!linkFits) pax.push(paxRecord('linkpath', fields.linkname));
  if (!fitsOctal(fields.size, 12)) pax.push(paxRecord('size', String(fields.size)));
  if (!fitsOctal(fields.mtime, 12)) pax.push(paxRecord('mtime', String(fields.mtime)));
  if (!fitsOctal(fields.uid, 8)) pax.push(paxRecord('uid', String(fields.uid)));
  if (!fitsOctal(fields.gid, 8)) pax.push(paxRecord('gid', String(fields.gid)));

  const name = split ?? { prefix: '', name: truncateBytes(fields.path, 100) };
  const size = fitsOctal(fields.size, 12) ? fields.size : 0;
  const main = ustarBlock(fields, name.name, name.prefix, linkFits ? fields.linkname : truncateBytes(fields.linkname, 100), size, typeflag);
  if (pax.length === 0) return main;

  const paxData = Buffer.from(pax.join(''), 'utf8');
  const paxName = truncateBytes(`PaxHeaders/${name.name}`, 100);
  const paxHeader = ustarBlock({ ...fields, mode: 0o644, uid: 0, gid: 0 }, paxName, '', '', paxData.length, 'x');
  return Buffer.concat([paxHeader, paxData, padding(paxData.length), main]);
}

function truncateBytes(value: string, max: number): string {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length <= max) return value;
  // Cut on a character boundary: the real value travels in the pax record anyway.
  let end = max;
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}

export function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest);
}

export function paddedSize(size: number): number {
  return Math.ceil(size / BLOCK) * BLOCK;
}
