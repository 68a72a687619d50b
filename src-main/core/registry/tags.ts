import { LighterError } from '../errors';
import { familiarName } from '../ref/reference';
import { type RegistryClient, type Repository, pullScope } from './client';
import { header, readLimited } from './http';

/** The `next` target of an RFC 8288 Link header, e.g. `</v2/app/tags/list?last=b&n=50>; rel="next"`. */
export function nextLink(link: string | undefined): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const m = /<([^>]*)>\s*;(.*)/.exec(part.trim());
    if (m && /rel\s*=\s*"?next"?/i.test(m[2])) return m[1];
  }
  return undefined;
}

/** Every tag of a repository, following pagination. */
export async function listTags(
  client: RegistryClient,
  repo: Repository,
  options: { signal?: AbortSignal; pageSize?: number; maxPages?: number } = {},
): Promise<string[]> {
  const what = `tags of ${familiarName(repo)}`;
  const tags: string[] = [];
  let path: string | undefined = `/v2/${repo.path}/tags/list${options.pageSize ? `?n=${options.pageSize}` : ''}`;
  const maxPages = options.maxPages ?? 1000;
  for (let page = 0; path; page++) {
    if (page >= maxPages) throw new LighterError('REGISTRY_ERROR', `${what}: more than ${maxPages} pages`);
    const res = await client.call(repo.domain, { method: 'GET', path, scopes: [pullScope(repo)], signal: options.signal, what });
    const body = await readLimited(res, 16 * 1024 * 1024, what);
    let parsed: { tags?: unknown };
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      throw new LighterError('REGISTRY_ERROR', `${what}: invalid response`);
    }
    if (Array.isArray(parsed.tags)) tags.push(...parsed.tags.filter((t): t is string => typeof t === 'string'));
    const next = nextLink(header(res, 'link'));
    // Relative links stay on the registry; absolute ones are used as given.
    path = next ? (/^https?:\/\//.test(next) ? next : new URL(next, res.url).pathname + new URL(next, res.url).search) : undefined;
  }
  return tags;
}
