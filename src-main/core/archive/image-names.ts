import { LighterError } from '../errors';

export interface TaggedName {
  /** As `docker images` shows it: "alpine", "localhost:5000/team/app". */
  familiar: string;
  /** Fully qualified: "docker.io/library/alpine". */
  full: string;
  tag: string;
}

const pathComponent = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const domainPattern = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?$/;
const tagPattern = /^[\w][\w.-]{0,127}$/;

/**
 * Splits "name[:tag]" the way Docker reads it (no tag → latest; no registry → docker.io;
 * one-part Docker Hub names → library/). Digest references cannot be written as tags.
 */
export function parseTaggedName(name: string): TaggedName {
  const bad = () => new LighterError('INVALID_INPUT', `"${name.slice(0, 200)}" is not a valid image name`);
  if (name.includes('@')) throw new LighterError('INVALID_INPUT', `"${name.slice(0, 200)}" has a digest; archives record names with tags only`);
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  const hasTag = colon > slash;
  const repository = hasTag ? name.slice(0, colon) : name;
  const tag = hasTag ? name.slice(colon + 1) : 'latest';
  const first = repository.split('/')[0];
  const hasDomain = repository.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  const domain = hasDomain ? first : 'docker.io';
  let path = hasDomain ? repository.slice(first.length + 1) : repository;
  if (!tagPattern.test(tag) || !domainPattern.test(domain) || !path.split('/').every((part) => pathComponent.test(part))) throw bad();
  if (domain === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  const full = `${domain}/${path}`;
  const familiar = domain === 'docker.io' ? path.replace(/^library\//, '') : full;
  return { familiar, full, tag };
}
