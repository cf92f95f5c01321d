/**
 * What the ECR stand-in's scanner knows of Debian packages: the installed packages of an image's dpkg
 * database (var/lib/dpkg/status, one stanza per package, `Status: install ok installed` for installed ones;
 * deb-control(5)), the image's layers applied in order with their whiteouts (OCI image spec, layer.md:
 * `.wh.<name>` removes a name of the layers below, `.wh..wh..opq` hides everything below in its directory),
 * and Debian's version order (Debian Policy Manual 5.6.12, "Version"; dpkg's verrevcmp).
 */
import { gunzipSync } from 'node:zlib';

export interface InstalledPackage {
  name: string;
  version: string;
  /** dpkg's `Architecture`. */
  arch?: string;
  /** Where the package's source lives (`Source:`), the package itself when it names none. */
  source: string;
}

/** The installed packages of a dpkg status file. */
export function installedPackages(status: string): InstalledPackage[] {
  const out: InstalledPackage[] = [];
  for (const stanza of status.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    for (const line of stanza.split('\n')) {
      const m = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(line);
      if (m) fields.set(m[1].toLowerCase(), m[2].trim());
    }
    const name = fields.get('package');
    const version = fields.get('version');
    if (!name || !version || !/\binstalled$/.test(fields.get('status') ?? '')) continue;
    out.push({
      name,
      version,
      ...(fields.get('architecture') ? { arch: fields.get('architecture') } : {}),
      source: (fields.get('source') ?? name).split(' ')[0],
    });
  }
  return out;
}

/** A version split as Policy 5.6.12 says: [epoch:]upstream_version[-debian_revision]. */
export function parseVersion(text: string): { epoch: number; upstream: string; revision: string } {
  const colon = text.indexOf(':');
  const epoch = colon > 0 ? Number(text.slice(0, colon)) : 0;
  const rest = colon > 0 ? text.slice(colon + 1) : text;
  const dash = rest.lastIndexOf('-');
  return dash > 0 ? { epoch, upstream: rest.slice(0, dash), revision: rest.slice(dash + 1) } : { epoch, upstream: rest, revision: '' };
}

/** Policy's order of one character in the non-digit part: `~` before everything (even the end), letters before the rest. */
function order(c: string | undefined): number {
  if (c === undefined) return 0;
  if (c === '~') return -1;
  if (/[A-Za-z]/.test(c)) return c.charCodeAt(0);
  return c.charCodeAt(0) + 256;
}

/** Compares upstream versions or revisions: non-digit parts by `order`, digit parts numerically, alternately. */
function compareParts(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !/\d/.test(a[i])) || (j < b.length && !/\d/.test(b[j]))) {
      const ac = i < a.length && !/\d/.test(a[i]) ? a[i] : undefined;
      const bc = j < b.length && !/\d/.test(b[j]) ? b[j] : undefined;
      const diff = order(ac) - order(bc);
      if (diff) return diff;
      if (ac !== undefined) i++;
      if (bc !== undefined) j++;
    }
    while (a[i] === '0') i++;
    while (b[j] === '0') j++;
    while (i < a.length && /\d/.test(a[i]) && j < b.length && /\d/.test(b[j])) {
      if (!firstDiff) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (i < a.length && /\d/.test(a[i])) return 1;
    if (j < b.length && /\d/.test(b[j])) return -1;
    if (firstDiff) return firstDiff;
  }
  return 0;
}

/** Debian's version order: negative when a sorts before b, 0 when equal, positive after. */
export function compareVersions(a: string, b: string): number {
  const va = parseVersion(a);
  const vb = parseVersion(b);
  if (va.epoch !== vb.epoch) return va.epoch - vb.epoch;
  return compareParts(va.upstream, vb.upstream) || compareParts(va.revision, vb.revision);
}

/** What one layer says about the dpkg database: the file it adds, or that it removes the ones below. */
export interface LayerDpkg {
  /** The status file this layer writes, when it writes one. */
  status?: string;
  /** A whiteout in this layer removes (or an opaque directory hides) the status file of the layers below. */
  removesBelow: boolean;
}

const STATUS = 'var/lib/dpkg/status';

/** Reads a layer blob (a tar, gzip-compressed or not) for the dpkg status file and whiteouts of it. */
export function readLayer(blob: Buffer): LayerDpkg {
  const tar = blob.length > 2 && blob[0] === 0x1f && blob[1] === 0x8b ? gunzipSync(blob) : blob;
  const out: LayerDpkg = { removesBelow: false };
  let offset = 0;
  let longName: string | undefined;
  let paxPath: string | undefined;
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const field = (start: number, length: number) =>
      header
        .subarray(start, start + length)
        .toString('utf8')
        .replace(/\0.*$/s, '');
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const type = field(156, 1) || '0';
    const prefix = field(345, 155);
    const body = tar.subarray(offset + 512, offset + 512 + size);
    offset += 512 + Math.ceil(size / 512) * 512;
    if (type === 'L') {
      longName = body.toString('utf8').replace(/\0.*$/s, '');
      continue;
    }
    if (type === 'x') {
      const m = /\d+ path=([^\n]*)\n/.exec(body.toString('utf8'));
      paxPath = m?.[1];
      continue;
    }
    const name = (longName ?? paxPath ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100)))
      .replace(/^\.?\/+/, '')
      .replace(/\/+$/, '');
    longName = undefined;
    paxPath = undefined;
    const slash = name.lastIndexOf('/');
    const dir = slash >= 0 ? name.slice(0, slash) : '';
    const base = name.slice(slash + 1);
    if (base === '.wh..wh..opq') {
      if (STATUS.startsWith(`${dir}/`) || dir === '') out.removesBelow = true;
    } else if (base.startsWith('.wh.')) {
      const removed = dir ? `${dir}/${base.slice(4)}` : base.slice(4);
      if (STATUS === removed || STATUS.startsWith(`${removed}/`)) out.removesBelow = true;
    } else if (name === STATUS && (type === '0' || type === '7')) {
      out.status = body.toString('utf8');
    }
  }
  return out;
}

/** The status file an image's layers leave, applied in order (undefined: the image has no dpkg database). */
export function statusOf(layers: LayerDpkg[]): string | undefined {
  let status: string | undefined;
  for (const layer of layers) {
    if (layer.removesBelow) status = undefined;
    if (layer.status !== undefined) status = layer.status;
  }
  return status;
}
