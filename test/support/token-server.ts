import { createSign, generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import { join } from 'node:path';
import { openssl } from './registry-tools';

export interface TokenServer {
  /** The realm URL to put in the registry's auth.token config. */
  realm: string;
  issuer: string;
  service: string;
  /** Self-signed certificate of the signing key: the registry's rootcertbundle. */
  certFile: string;
  /** Requests received (scope lists and whether credentials were valid), for assertions. */
  requests: Array<{ scopes: string[]; account?: string; authenticated: boolean; refreshToken?: boolean }>;
  stop(): Promise<void>;
}

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/**
 * A small distribution token server: checks Basic credentials against `users` on GET, or an
 * identity (refresh) token against `refreshTokens` on an OAuth2 POST, grants the scopes asked for
 * (anonymous callers get pull only when `anonymousPull`), and signs ES256 JWTs with a key made here,
 * whose self-signed certificate travels in the x5c header.
 */
export async function startTokenServer(
  dir: string,
  options: { users: Record<string, string>; refreshTokens?: Record<string, string>; anonymousPull?: boolean; expiresIn?: number },
): Promise<TokenServer> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keyFile = join(dir, 'token.key');
  const certFile = join(dir, 'token.crt');
  writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  openssl(['req', '-new', '-x509', '-key', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=lighter-test-token'], dir);
  const certDer = readFileSync(certFile, 'utf8').replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  const issuer = 'lighter-test-issuer';
  const service = 'lighter-test-registry';
  const requests: TokenServer['requests'] = [];

  function sign(claims: object): string {
    const head = base64url(JSON.stringify({ typ: 'JWT', alg: 'ES256', x5c: [certDer] }));
    const body = base64url(JSON.stringify(claims));
    const signature = createSign('SHA256').update(`${head}.${body}`).sign({ key: privateKey, dsaEncoding: 'ieee-p1363' });
    return `${head}.${body}.${base64url(signature)}`;
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    if (req.method === 'POST') {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        const form = new URLSearchParams(body);
        const account = form.get('grant_type') === 'refresh_token' ? options.refreshTokens?.[form.get('refresh_token') ?? ''] : undefined;
        const scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
        requests.push({ scopes, account, authenticated: account !== undefined, refreshToken: true });
        if (account === undefined) {
          res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_grant"}');
          return;
        }
        grant(res, scopes, account, true);
      });
      return;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const scopes = url.searchParams.getAll('scope').flatMap((s) => s.split(' ')).filter(Boolean);
    let account: string | undefined;
    let authenticated = false;
    const auth = req.headers.authorization;
    if (auth?.startsWith('Basic ')) {
      const [user, ...rest] = Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':');
      if (options.users[user] === undefined || options.users[user] !== rest.join(':')) {
        requests.push({ scopes, account: user, authenticated: false });
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"incorrect username or password"}');
        return;
      }
      account = user;
      authenticated = true;
    }
    requests.push({ scopes, account, authenticated });
    grant(res, scopes, account, authenticated);
  }

  function grant(res: ServerResponse, scopes: string[], account: string | undefined, authenticated: boolean): void {
    const access = scopes.flatMap((scope) => {
      const [type, ...rest] = scope.split(':');
      const actions = rest.pop()?.split(',') ?? [];
      const granted = authenticated ? actions : options.anonymousPull ? actions.filter((a) => a === 'pull') : [];
      return granted.length ? [{ type, name: rest.join(':'), actions: granted }] : [];
    });
    const now = Math.floor(Date.now() / 1000);
    const expiresIn = options.expiresIn ?? 300;
    const token = sign({ iss: issuer, sub: account ?? '', aud: service, exp: now + expiresIn, nbf: now - 10, iat: now, jti: randomUUID(), access });
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, access_token: token, expires_in: expiresIn, issued_at: new Date().toISOString() }));
  }

  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    issuer,
    service,
    certFile,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
