import { LighterError } from '../errors';

/** Registry error bodies look like `{"errors":[{"code":"MANIFEST_UNKNOWN","message":"…"}]}`. */
function firstError(body: Buffer | undefined): { code?: string; message?: string } {
  if (!body || body.length === 0) return {};
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { errors?: Array<{ code?: unknown; message?: unknown }> };
    const e = parsed.errors?.[0];
    return { code: typeof e?.code === 'string' ? e.code : undefined, message: typeof e?.message === 'string' ? e.message : undefined };
  } catch {
    return {};
  }
}

/** Registry text goes into our messages: one short line. */
function clean(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 200);
}

/** A LighterError for an unexpected registry answer about `what` (e.g. "manifest localhost:5000/app:v1"). */
export function responseError(status: number, body: Buffer | undefined, what: string): LighterError {
  const { code, message } = firstError(body);
  const said = code || message ? ` (${clean([code, message].filter(Boolean).join(': '))})` : '';
  const details = { status, registryCode: code };
  if (status === 404) return new LighterError('NOT_FOUND', `${what} not found${said}`, details);
  if (status === 401) return new LighterError('AUTH_REQUIRED', `${what}: authentication required${said}`, details);
  if (status === 403) return new LighterError('AUTH_FAILED', `${what}: access denied${said}`, details);
  if (status === 429) return new LighterError('REGISTRY_ERROR', `${what}: too many requests, rate limit reached${said}`, details);
  return new LighterError('REGISTRY_ERROR', `${what}: registry answered HTTP ${status}${said}`, details);
}

export interface RateLimit {
  limit?: number;
  remaining?: number;
  windowSeconds?: number;
}

/** Docker Hub's `ratelimit-limit: 100;w=21600` and `ratelimit-remaining: 76;w=21600`. */
export function parseRateLimit(limit: string | undefined, remaining: string | undefined): RateLimit | undefined {
  if (!limit && !remaining) return undefined;
  const part = (v: string | undefined) => {
    const m = v ? /^\s*(\d+)(?:\s*;\s*w=(\d+))?/.exec(v) : null;
    return m ? { n: Number(m[1]), w: m[2] ? Number(m[2]) : undefined } : undefined;
  };
  const l = part(limit);
  const r = part(remaining);
  return { limit: l?.n, remaining: r?.n, windowSeconds: l?.w ?? r?.w };
}
