/**
 * An HTTP proxy in front of a test registry that misbehaves on request: error bursts, 429 with
 * Retry-After, connections reset or stalled mid-body, corrupted bytes. It counts the body bytes it
 * hands out, so tests can prove that resumed downloads did not fetch bytes twice.
 */
import { type IncomingMessage, type ServerResponse, createServer, request } from 'node:http';
import type { Socket } from 'node:net';

export type Fault =
  | { kind: 'status'; status: number; retryAfter?: string }
  | { kind: 'reset'; afterBytes: number }
  | { kind: 'stall'; afterBytes: number }
  | { kind: 'corrupt'; atByte: number }
  | { kind: 'redirect'; location: string };

export interface FaultRule {
  /** Which requests: a test on `METHOD path`, e.g. /^GET \/v2\/.*\/blobs\//. */
  match: RegExp;
  fault: Fault;
  /** How many matching requests it hits (default 1; Infinity for always). */
  times?: number;
}

export interface ProxyLogEntry {
  method: string;
  path: string;
  range?: string;
  status: number;
  /** Body bytes sent to the client. */
  bytes: number;
  fault?: Fault['kind'];
}

export interface FaultProxy {
  /** `127.0.0.1:PORT` to use instead of the registry's host. */
  host: string;
  log: ProxyLogEntry[];
  inject(rule: FaultRule): void;
  clear(): void;
  /** Body bytes served for requests whose `METHOD path` matches. */
  bytesServed(match: RegExp): number;
  stop(): Promise<void>;
}

export async function startFaultProxy(upstreamHost: string): Promise<FaultProxy> {
  const [upHost, upPort] = [upstreamHost.slice(0, upstreamHost.lastIndexOf(':')), Number(upstreamHost.slice(upstreamHost.lastIndexOf(':') + 1))];
  const rules: Array<FaultRule & { left: number }> = [];
  const log: ProxyLogEntry[] = [];
  const sockets = new Set<Socket>();

  function take(line: string): Fault | undefined {
    const rule = rules.find((r) => r.left > 0 && r.match.test(line));
    if (!rule) return undefined;
    rule.left--;
    return rule.fault;
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const line = `${req.method} ${req.url}`;
    const entry: ProxyLogEntry = { method: req.method ?? '', path: req.url ?? '', range: req.headers.range, status: 0, bytes: 0 };
    log.push(entry);
    const fault = take(line);
    entry.fault = fault?.kind;
    if (fault?.kind === 'status') {
      entry.status = fault.status;
      req.resume();
      res.writeHead(fault.status, { 'content-type': 'application/json', ...(fault.retryAfter ? { 'retry-after': fault.retryAfter } : {}) });
      res.end('{"errors":[{"code":"UNAVAILABLE","message":"injected fault"}]}');
      return;
    }
    if (fault?.kind === 'redirect') {
      entry.status = 307;
      req.resume();
      res.writeHead(307, { location: fault.location }).end();
      return;
    }
    // The Host header is passed on unchanged, so the registry builds upload URLs pointing at us.
    const upstream = request({ host: upHost, port: upPort, method: req.method, path: req.url, headers: req.headers }, (up) => {
      entry.status = up.statusCode ?? 0;
      res.writeHead(up.statusCode ?? 502, up.headers);
      let sent = 0;
      up.on('data', (chunk: Buffer) => {
        let data = chunk;
        if (fault?.kind === 'reset' || fault?.kind === 'stall') {
          const room = fault.afterBytes - sent;
          if (room <= 0) return;
          if (data.length >= room) {
            data = data.subarray(0, room);
            res.write(data);
            sent += data.length;
            entry.bytes += data.length;
            if (fault.kind === 'reset') {
              // Let the bytes leave, and the client take them, before breaking the connection; a
              // reset still loses whatever the client had not read yet (as on a real network).
              setTimeout(() => {
                req.socket.resetAndDestroy();
                up.destroy();
              }, 200);
            } else {
              up.pause(); // silence: the client's idle timeout must notice
            }
            return;
          }
        }
        if (fault?.kind === 'corrupt' && fault.atByte >= sent && fault.atByte < sent + data.length) {
          data = Buffer.from(data);
          data[fault.atByte - sent] ^= 0xff;
        }
        sent += data.length;
        entry.bytes += data.length;
        res.write(data);
      });
      up.on('end', () => {
        if (fault?.kind !== 'reset' && fault?.kind !== 'stall') res.end();
      });
      up.on('error', () => res.destroy());
    });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  }

  const server = createServer(handle);
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    host: `127.0.0.1:${port}`,
    log,
    inject: (rule) => rules.push({ ...rule, left: rule.times ?? 1 }),
    clear: () => {
      rules.length = 0;
      log.length = 0;
    },
    bytesServed: (match) => log.filter((e) => match.test(`${e.method} ${e.path}`)).reduce((n, e) => n + e.bytes, 0),
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
