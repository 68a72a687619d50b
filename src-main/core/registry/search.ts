import { LighterError } from '../errors';
import { HttpTransport, type HttpTimeouts, defaultTimeouts, readLimited } from './http';

/** Docker Hub's search endpoint, as `docker search` uses it. */
export const defaultSearchUrl = 'https://index.docker.io/v1/search';

export interface SearchResult {
  name: string;
  description: string;
  stars: number;
  official: boolean;
  automated: boolean;
}

export interface SearchOptions {
  limit?: number;
  officialOnly?: boolean;
  minStars?: number;
  signal?: AbortSignal;
  /** Override the endpoint (env LIGHTER_SEARCH_URL). */
  url?: string;
  env?: NodeJS.ProcessEnv;
  timeouts?: Partial<HttpTimeouts>;
}

/** Searches Docker Hub; the official and stars filters apply client-side, as in docker. */
export async function searchImages(term: string, options: SearchOptions = {}): Promise<SearchResult[]> {
  if (!term.trim()) throw new LighterError('INVALID_INPUT', 'Search term is empty');
  const limit = options.limit ?? 25;
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new LighterError('INVALID_INPUT', 'Limit must be between 1 and 100');
  const endpoint = options.url ?? (options.env ?? process.env).LIGHTER_SEARCH_URL ?? defaultSearchUrl;
  const url = new URL(endpoint);
  url.searchParams.set('q', term);
  url.searchParams.set('n', String(limit));
  const http = new HttpTransport({ ...defaultTimeouts, connectTimeoutMs: 10_000, ...options.timeouts });
  try {
    const res = await http.send({ method: 'GET', url: url.toString(), headers: { accept: 'application/json', 'user-agent': 'lighter' }, signal: options.signal });
    const body = await readLimited(res, 8 * 1024 * 1024, 'Search response');
    if (res.status !== 200) throw new LighterError('REGISTRY_ERROR', `Search at ${url.host} failed: HTTP ${res.status}`, { status: res.status });
    let parsed: { results?: Array<Record<string, unknown>> };
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      throw new LighterError('REGISTRY_ERROR', `Search at ${url.host} sent an invalid response`);
    }
    return (parsed.results ?? [])
      .map((r) => ({
        name: String(r.name ?? r.repo_name ?? ''),
        description: String(r.description ?? r.short_description ?? ''),
        stars: Number(r.star_count ?? 0),
        official: r.is_official === true,
        automated: r.is_automated === true,
      }))
      .filter((r) => r.name && (!options.officialOnly || r.official) && r.stars >= (options.minStars ?? 0))
      .slice(0, limit);
  } catch (e) {
    if (e instanceof LighterError && (e.code === 'NETWORK' || e.code === 'TIMEOUT')) {
      throw new LighterError('NETWORK', `Search is unavailable (offline?): ${e.message}`, { host: url.host });
    }
    throw e;
  } finally {
    await http.close();
  }
}
