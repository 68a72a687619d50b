import { getEventListeners } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpTransport, networkError } from '../../../src-main/core/registry/http';

/** A loopback server whose behaviour each test picks by path. */
let server: Server;
let base = '';
const open = new Set<ServerResponse>();

beforeAll(async () => {
  server = createServer((req, res) => {
    open.add(res);
    res.once('close', () => open.delete(res));
    if (req.url === '/silent') return; // never answers
    if (req.url === '/stall') {
      res.writeHead(200, { 'content-length': '1000000' });
      res.write(Buffer.alloc(10_000, 1)); // then nothing more
      return;
    }
    if (req.url === '/cut') {
      res.writeHead(200, { 'content-length': '1000000' });
      res.write(Buffer.alloc(10_000, 1), () => res.socket?.destroy());
      return;
    }
    if (req.url === '/nonsense-length') {
      res.socket?.end('HTTP/1.1 200 OK\r\ncontent-length: lots\r\n\r\nhello');
      return;
    }
    if (req.url === '/twice') {
      res.setHeader('link', ['<a>; rel="next"', '<b>; rel="last"']);
      res.setHeader('docker-content-digest', 'sha256:abc');
      return res.end('ok');
    }
    if (req.url === '/big') {
      res.writeHead(200, { 'content-length': String(4 << 20) });
      return res.end(Buffer.alloc(4 << 20));
    }
    if (req.method === 'PUT') {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c)).on('end', () => res.end(`got ${Buffer.concat(parts).length} bytes, length header ${req.headers['content-length']}`));
      return;
    }
    res.end('hello');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const res of open) res.destroy();
  await new Promise((resolve) => server.close(resolve));
});

async function text(body: AsyncIterable<Buffer>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of body) parts.push(part);
  return Buffer.concat(parts).toString();
}

// GETs of large bodies (blobs) go on a connection of their own (raw-get.ts): both ways, the same answers.
describe.each([
  { way: "Node's client", bulk: false },
  { way: 'a connection of its own (bulk)', bulk: true },
])('HttpTransport, GET on $way', ({ bulk }) => {
  const transport = new HttpTransport({ connectTimeoutMs: 2000, idleTimeoutMs: 300 });
  afterAll(() => transport.close());

  it('answers with status, headers (one string, or a list when repeated) and the body', async () => {
    const res = await transport.send({ method: 'GET', bulk, url: `${base}/twice` });
    expect(res.status).toBe(200);
    expect(res.headers['docker-content-digest']).toBe('sha256:abc');
    expect(res.headers.link).toEqual(['<a>; rel="next"', '<b>; rel="last"']);
    expect(await text(res.body)).toBe('ok');
    const put = await transport.send({ method: 'PUT', url: `${base}/up`, headers: { 'content-length': '3' }, body: Buffer.from('abc') });
    expect(await text(put.body)).toBe('got 3 bytes, length header 3');
  });

  it('a body cut short fails its reader with a NETWORK error worth retrying (a blob then resumes)', async () => {
    const res = await transport.send({ method: 'GET', bulk, url: `${base}/cut` });
    const error = await text(res.body).catch((e: unknown) => networkError(e, `${base}/cut`));
    expect(error).toMatchObject({ code: 'NETWORK', details: { retryable: true } });
  });

  it('a server that never answers is a TIMEOUT, worth retrying', async () => {
    const error = await transport.send({ method: 'GET', bulk, url: `${base}/silent` }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'TIMEOUT', message: expect.stringContaining('stopped sending data (stalled)'), details: { retryable: true } });
  });

  it('a body that stops coming fails its reader with a TIMEOUT', async () => {
    const res = await transport.send({ method: 'GET', bulk, url: `${base}/stall` });
    const error = await text(res.body).catch((e: unknown) => networkError(e, `${base}/stall`));
    expect(error).toMatchObject({ code: 'TIMEOUT', details: { retryable: true } });
  });

  it('cancelling ends a body being read with CANCELLED', async () => {
    const controller = new AbortController();
    const res = await transport.send({ method: 'GET', bulk, url: `${base}/stall`, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const error = await text(res.body).catch((e: unknown) => networkError(e, `${base}/stall`));
    expect(error).toMatchObject({ code: 'CANCELLED' });
    await expect(transport.send({ method: 'GET', bulk, url: `${base}/`, signal: controller.signal })).rejects.toMatchObject({ code: 'CANCELLED' });
    // A body nobody reads, cancelled or gone silent: nothing escapes as an unhandled error.
    const unread = new AbortController();
    const left = await transport.send({ method: 'GET', bulk, url: `${base}/stall`, signal: unread.signal });
    unread.abort();
    await new Promise((resolve) => left.body.once('close', resolve));
    expect(left.body.destroyed).toBe(true);
  });

  it('dump() drops small and big bodies alike, and the transport still serves', async () => {
    for (const path of ['/', '/big']) {
      const res = await transport.send({ method: 'GET', bulk, url: `${base}${path}` });
      await res.body.dump();
    }
    expect(await text((await transport.send({ method: 'GET', bulk, url: `${base}/` })).body)).toBe('hello');
  });

  it('a refused connection is a NETWORK error that says so', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const signal = new AbortController().signal;
    await expect(transport.send({ method: 'GET', bulk, url: `http://127.0.0.1:${port}/`, signal })).rejects.toMatchObject({ code: 'NETWORK', message: expect.stringContaining('connection refused') });
    await new Promise((resolve) => setImmediate(resolve));
    expect(getEventListeners(signal, 'abort')).toHaveLength(0); // a long-lived job signal collects nothing
    expect(await text((await transport.send({ method: 'GET', bulk, url: `${base}/`, signal })).body)).toBe('hello');
    await new Promise((resolve) => setImmediate(resolve));
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
  });
});

describe('HttpTransport, bulk GET', () => {
  const transport = new HttpTransport({ connectTimeoutMs: 2000, idleTimeoutMs: 300 });

  it('reads a body byte for byte, and refuses a header that would break the request into two', async () => {
    const res = await transport.send({ method: 'GET', bulk: true, url: `${base}/big` });
    const parts: Buffer[] = [];
    for await (const part of res.body) parts.push(part as Buffer);
    expect(Buffer.concat(parts).equals(Buffer.alloc(4 << 20))).toBe(true);
    await expect(transport.send({ method: 'GET', bulk: true, url: `${base}/nonsense-length` })).rejects.toMatchObject({
      code: 'REGISTRY_ERROR',
      message: 'The registry answered with a Content-Length that is not a length: lots',
    });
    const sneaky = { authorization: 'Bearer x\r\nX-Injected: 1' };
    await expect(transport.send({ method: 'GET', bulk: true, url: `${base}/`, headers: sneaky })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});
