import { connect, type NetConnectOpts, type Socket } from 'node:net';
import { SlabReader } from './read-slabs';

/** A read may fill what is left of a slab, down to this. */
const minRead = 64 * 1024;

/**
 * A plain connection for large bodies whose reads may bring up to 512 KiB each. Node reads a socket
 * 64 KiB at a time, and every piece then takes the whole way of a body (decoding, hashing, writes,
 * progress); from a fast sender the pieces are now fewer and larger. Reads go into slabs one after
 * another (read-slabs.ts: reused once their pieces are given back) and come out as views of them,
 * without a copy, as 'data' events; pause() stops the reading as usual. Slabs of 1 MiB were no
 * faster and held ≈15 MB more at the peak.
 */
export function connectForBodies(options: NetConnectOpts): Socket {
  const slabs = new SlabReader();
  const socket: Socket = connect({
    ...options,
    onread: {
      buffer: () => slabs.space(minRead),
      callback: (bytes: number) => {
        socket.emit('data', slabs.took(bytes));
        return !socket.isPaused();
      },
    },
  });
  socket.once('close', () => slabs.close());
  return socket;
}
