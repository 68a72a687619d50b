import { isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { LighterError, cancelled } from '../errors';
import { connectForBodies } from '../http/connect';
import { openBody, readHead, type ResponseFailures } from '../http/response';
import { type HttpRequest, type HttpResponse, type HttpTimeouts, codedError, connectTimeoutCode, idleTimeoutCode, networkError, singleValues } from './http';

/**
 * A GET of a large body (a blob) on a connection of its own, the body read as the socket delivers
 * it. Node's HTTP client copies every piece of a body once more and streams it through its own
 * message object: for 604 MB from a registry on this machine that was ≈0.1 s more CPU and 0.1 s
 * longer. Everything else (small bodies, uploads, keep-alive) stays on Node's client.
 */
export function rawGet(req: HttpRequest, url: URL, timeouts: HttpTimeouts): Promise<HttpResponse> {
  const lines = [`GET ${url.pathname}${url.search} HTTP/1.1`, `Host: ${url.host}`];
  for (const [name, value] of Object.entries(req.headers ?? {})) {
    if (/[\r\n]/.test(name + value)) return Promise.reject(new LighterError('INVALID_INPUT', `The ${name} header of a request to ${url.host} holds a line break`));
    lines.push(`${name}: ${value}`);
  }
  const request = `${[...lines, 'Connection: close'].join('\r\n')}\r\n\r\n`;
  if (req.signal?.aborted) return Promise.reject(cancelled());

  return new Promise<HttpResponse>((resolve, reject) => {
    const secure = url.protocol === 'https:';
    const socket = open(url, secure, req.ca);
    let body: HttpResponse['body'] | undefined;
    /** Ends the exchange: before the answer the request fails, after it the body being read does. */
    const fail = (error: Error) => (body ? body.destroy(error) : socket.destroy(error));
    const onAbort = () => fail(cancelled());
    req.signal?.addEventListener('abort', onAbort, { once: true });
    const connectTimer = setTimeout(() => fail(codedError(connectTimeoutCode, 'connect timeout')), timeouts.connectTimeoutMs);
    const release = () => {
      clearTimeout(connectTimer);
      req.signal?.removeEventListener('abort', onAbort);
    };
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      clearTimeout(connectTimer);
      socket.setTimeout(timeouts.idleTimeoutMs, () => fail(codedError(idleTimeoutCode, 'no data')));
    });
    socket.once('close', release);
    socket.write(request);
    readHead(socket, failures)
      .then((head) => {
        const headers = singleValues(Object.fromEntries(head.headers));
        const stream = openBody(socket, head, failures);
        // A body failed (cancelled, stalled) while nobody reads it must not end the process;
        // whoever reads it still gets the error.
        stream.on('error', () => undefined).once('close', release);
        // One request per connection: dropping the body closes it.
        body = Object.assign(stream, { dump: async () => void stream.destroy() });
        resolve({ status: head.status, headers, body, url: req.url });
      })
      .catch((e: unknown) => {
        release();
        socket.destroy();
        reject(networkError(e, req.url));
      });
  });
}

function open(url: URL, secure: boolean, ca?: string[]): Socket {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(url.port || (secure ? 443 : 80));
  if (!secure) return connectForBodies({ host, port });
  return tlsConnect({ host, port, servername: isIP(host) ? undefined : host, ALPNProtocols: ['http/1.1'], ...(ca ? { ca } : {}) });
}

/** Failures as Node's client reports them, so retries and resumes treat both alike. */
const failures: ResponseFailures = {
  malformed: (detail) => new LighterError('REGISTRY_ERROR', `The registry answered with ${detail}`),
  // A body cut short is a reset connection: the blob is resumed with a Range request.
  closed: (inBody) => Object.assign(new Error(inBody ? 'connection closed in the middle of the body' : 'socket hang up'), { code: 'ECONNRESET' }),
  failed: (e) => e,
};
