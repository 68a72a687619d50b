import { LighterError } from '../errors';

/**
 * Image references as docker understands them: `[domain[:port]/]path[:tag][@digest]`, normalized
 * the way `docker pull` normalizes them (docker.io by default, `library/` for official images).
 */
export interface Reference {
  /** The text that was parsed. */
  input: string;
  /** Registry host with optional port, e.g. `docker.io`, `localhost:5000`, `[::1]:5000`. */
  domain: string;
  /** Repository path inside the registry, e.g. `library/ubuntu`. */
  path: string;
  /** `domain/path`. */
  name: string;
  tag?: string;
  digest?: string;
  /** True when `latest` was added by normalizeForPull because neither tag nor digest was given. */
  tagImplied: boolean;
  /** Short form for display including tag/digest, e.g. `ubuntu:22.04`, `localhost:5000/app@sha256:…`. */
  familiar: string;
}

export const defaultDomain = 'docker.io';
const legacyDefaultDomain = 'index.docker.io';
const officialPrefix = 'library/';
export const maxNameLength = 255;

// Pieces of the distribution reference grammar.
const alphaNumeric = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alphaNumeric}(?:${separator}${alphaNumeric})*`;
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domainName = `${domainComponent}(?:\\.${domainComponent})*`;
const ipv6 = '\\[[a-fA-F0-9:]+\\]';
const domainAndPort = `(?:${domainName}|${ipv6})(?::[0-9]+)?`;

const domainPattern = new RegExp(`^${domainAndPort}$`);
const pathPattern = new RegExp(`^${pathComponent}(?:/${pathComponent})*$`);
const tagPattern = /^[\w][\w.-]{0,127}$/;
const digestPattern = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const identifierPattern = /^[a-f0-9]{64}$/;

/** Hex lengths of the digest algorithms docker accepts. */
const digestHexLength: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

export function isValidTag(tag: string): boolean {
  return tagPattern.test(tag);
}

/** Why a digest string is not acceptable, or undefined when it is. */
export function digestProblem(digest: string): string | undefined {
  if (!digestPattern.test(digest)) return `digest "${digest}" is not of the form algorithm:hex`;
  const [algorithm, hex] = digest.split(':');
  const length = digestHexLength[algorithm];
  if (length === undefined) return `digest algorithm "${algorithm}" is not supported`;
  if (hex.length !== length) return `digest "${digest}" must have ${length} hex characters after "${algorithm}:"`;
  if (hex !== hex.toLowerCase()) return `digest "${digest}" must be lowercase hex`;
  return undefined;
}

function invalid(input: string, why: string): LighterError {
  const shown = input.length > 300 ? `${input.slice(0, 300)}…` : input;
  return new LighterError('REF_INVALID', `invalid reference "${shown}": ${why}`, { input: shown });
}

/** Splits off the domain the way docker decides whether the first component is a registry host. */
function splitDomain(name: string): { domain: string; rest: string } {
  const slash = name.indexOf('/');
  if (slash < 0) return { domain: defaultDomain, rest: name };
  const first = name.slice(0, slash);
  const isDomain = first === 'localhost' || /[.:]/.test(first) || first.toLowerCase() !== first;
  if (!isDomain) return { domain: defaultDomain, rest: name };
  return { domain: first === legacyDefaultDomain ? defaultDomain : first, rest: name.slice(slash + 1) };
}

/** Parses and normalizes a reference like docker does; throws REF_INVALID with the reason. */
export function parseReference(input: string): Reference {
  const text = input;
  if (text === '') throw invalid(input, 'it is empty');
  if (/\s/.test(text)) throw invalid(input, 'it contains whitespace');
  if (identifierPattern.test(text)) throw invalid(input, 'a 64-character hexadecimal string is an image ID, not a repository name');

  let remainder = text;
  let digest: string | undefined;
  const at = remainder.indexOf('@');
  if (at >= 0) {
    digest = remainder.slice(at + 1);
    remainder = remainder.slice(0, at);
    if (digest === '') throw invalid(input, 'the digest after "@" is empty');
    const problem = digestProblem(digest);
    if (problem) throw invalid(input, problem);
  }

  // A tag is whatever follows the last ':' that comes after the last '/' (a port sits before a '/').
  let tag: string | undefined;
  const colon = remainder.lastIndexOf(':');
  if (colon > remainder.lastIndexOf('/')) {
    tag = remainder.slice(colon + 1);
    remainder = remainder.slice(0, colon);
    if (tag === '') throw invalid(input, 'the tag after ":" is empty');
    if (!isValidTag(tag)) {
      throw invalid(input, `tag "${tag.slice(0, 200)}" is invalid (letters, digits, "_", "." and "-", not starting with "." or "-", at most 128 characters)`);
    }
  }

  if (remainder === '') throw invalid(input, 'the repository name is empty');
  const { domain, rest } = splitDomain(remainder);
  if (!domainPattern.test(domain)) throw invalid(input, `registry host "${domain}" is invalid`);
  if (rest === '') throw invalid(input, 'the repository path is empty');
  if (rest !== rest.toLowerCase()) throw invalid(input, `repository name "${rest}" must be lowercase`);
  if (rest.split('/').some((c) => c === '')) throw invalid(input, `repository name "${rest}" has an empty path component`);
  if (!pathPattern.test(rest)) {
    throw invalid(
      input,
      `repository name "${rest}" is invalid (components of a-z, 0-9 joined by ".", "_", "__" or "-", separated by "/")`,
    );
  }
  const path = domain === defaultDomain && !rest.includes('/') ? officialPrefix + rest : rest;
  const name = `${domain}/${path}`;
  if (name.length > maxNameLength) throw invalid(input, `repository name must not be more than ${maxNameLength} characters (it has ${name.length})`);

  const ref: Reference = { input, domain, path, name, tag, digest, tagImplied: false, familiar: '' };
  ref.familiar = familiarString(ref);
  return ref;
}

/** The reference docker would pull: adds the `latest` tag when neither a tag nor a digest is given. */
export function normalizeForPull(ref: Reference): Reference {
  if (ref.tag !== undefined || ref.digest !== undefined) return ref;
  const pulled: Reference = { ...ref, tag: 'latest', tagImplied: true };
  pulled.familiar = familiarString(pulled);
  return pulled;
}

/** The short repository name: `ubuntu`, `user/app`, `localhost:5000/app`. */
export function familiarName(ref: Pick<Reference, 'domain' | 'path'>): string {
  if (ref.domain !== defaultDomain) return `${ref.domain}/${ref.path}`;
  const rest = ref.path.startsWith(officialPrefix) ? ref.path.slice(officialPrefix.length) : ref.path;
  return rest.includes('/') ? ref.path : rest;
}

/** Familiar name with tag and digest. */
export function familiarString(ref: Pick<Reference, 'domain' | 'path' | 'tag' | 'digest'>): string {
  return familiarName(ref) + suffix(ref);
}

/** Fully qualified form: `docker.io/library/ubuntu:22.04`. */
export function canonicalString(ref: Pick<Reference, 'name' | 'tag' | 'digest'>): string {
  return ref.name + suffix(ref);
}

function suffix(ref: Pick<Reference, 'tag' | 'digest'>): string {
  return (ref.tag !== undefined ? `:${ref.tag}` : '') + (ref.digest !== undefined ? `@${ref.digest}` : '');
}

/** The same repository with another tag (and no digest). */
export function withTag(ref: Reference, tag: string): Reference {
  if (!isValidTag(tag)) throw invalid(tag, `tag "${tag.slice(0, 200)}" is invalid`);
  const tagged: Reference = { ...ref, tag, digest: undefined, tagImplied: false };
  tagged.familiar = familiarString(tagged);
  return tagged;
}

/** The same repository pinned to a digest (the tag, if any, is kept for display). */
export function withDigest(ref: Reference, digest: string): Reference {
  const problem = digestProblem(digest);
  if (problem) throw invalid(digest, problem);
  const pinned: Reference = { ...ref, digest };
  pinned.familiar = familiarString(pinned);
  return pinned;
}

/** What to ask the registry for: the digest when known, else the tag (`latest` when neither). */
export function manifestReference(ref: Reference): string {
  return ref.digest ?? ref.tag ?? 'latest';
}
