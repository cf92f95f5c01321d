/**
 * Docker image references (`[registry/]repository[:tag][@digest]`), parsed the way the Docker CLI does:
 * the first path component is a registry only when it looks like a host (has a dot or a port, or is localhost).
 */
export interface ImageRef {
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
}

export const DOCKER_HUB = 'docker.io';

export function parseImageRef(text: string): ImageRef {
  const input = text.trim();
  if (!input || /\s/.test(input)) throw new Error(`not an image reference: "${text}"`);
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!/^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(digest)) throw new Error(`bad digest in "${text}"`);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!/^[\w][\w.-]{0,127}$/.test(tag)) throw new Error(`bad tag in "${text}"`);
  }
  let registry = DOCKER_HUB;
  const firstSlash = rest.indexOf('/');
  if (firstSlash > 0) {
    const first = rest.slice(0, firstSlash);
    if (first.includes('.') || first.includes(':') || first === 'localhost') {
      registry = first;
      rest = rest.slice(firstSlash + 1);
    }
  }
  if (!rest || !/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(rest)) {
    throw new Error(`bad repository name in "${text}"`);
  }
  if (registry === DOCKER_HUB && !rest.includes('/')) rest = `library/${rest}`;
  return { registry, repository: rest, tag: tag ?? (digest ? undefined : 'latest'), digest };
}

/**
 * The name of an image without its digest, fully qualified as the distribution reference grammar normalises
 * it (`debian:12` is `docker.io/library/debian:12`): what an image records as its base name
 * (`org.opencontainers.image.base.name`), so two spellings of one base never read as a change of base.
 */
export function canonicalName(ref: ImageRef): string {
  return `${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ''}`;
}

/** Do two written references name the same image (tag included, digest ignored)? Unparsable ones compare as text. */
export function sameImageName(a: string, b: string): boolean {
  try {
    return canonicalName({ ...parseImageRef(a), digest: undefined }) === canonicalName({ ...parseImageRef(b), digest: undefined });
  } catch {
    return a === b;
  }
}

/** `registry/repository[:tag][@digest]`, with Docker Hub's implicit parts left out. */
export function formatImageRef(ref: ImageRef): string {
  let name = ref.registry === DOCKER_HUB ? ref.repository.replace(/^library\//, '') : `${ref.registry}/${ref.repository}`;
  if (ref.tag) name += `:${ref.tag}`;
  if (ref.digest) name += `@${ref.digest}`;
  return name;
}

/**
 * Where to reach a registry: a configured mirror replaces the host (companies pull MCR through a cache,
 * and the local stack stands in for MCR this way). A mirror may carry a scheme; otherwise loopback hosts
 * are plain HTTP, as Docker treats them, and everything else HTTPS.
 */
export function registryEndpoint(registry: string, mirrors: Record<string, string> = {}): { host: string; baseUrl: string } {
  const target = mirrors[registry] ?? registry;
  // A trailing slash is allowed with or without a scheme (settings accept `host:port/`).
  const match = /^(?:(https?):\/\/)?(.+?)\/?$/.exec(target);
  const host = match ? match[2] : target;
  const scheme = match?.[1] ?? (isLoopback(host) ? 'http' : 'https');
  // Docker Hub's API lives on a different host than its name.
  const apiHost = host === DOCKER_HUB ? 'registry-1.docker.io' : host;
  return { host, baseUrl: `${scheme}://${apiHost}` };
}

export function isLoopback(host: string): boolean {
  const name = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return name === 'localhost' || name === '::1' || /^127\.\d+\.\d+\.\d+$/.test(name);
}

/** The reference Docker should pull: the mirror host when one is configured, pinned to a digest. */
export function pullReference(ref: ImageRef, digest: string, mirrors: Record<string, string> = {}): string {
  const { host } = registryEndpoint(ref.registry, mirrors);
  const registry = mirrors[ref.registry] ? host : ref.registry;
  return formatImageRef({ registry, repository: ref.repository, tag: ref.tag, digest });
}
