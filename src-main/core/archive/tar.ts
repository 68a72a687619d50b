/** Streaming tar: read (ustar, pax, GNU) without touching the disk, and write deterministic entries. */
export { readTar, type TarEntry, type TarReadOptions } from './tar-reader';
export { tarEntry, tarEnd, type TarEntryToWrite } from './tar-writer';
export type { TarEntryType } from './tar-header';
