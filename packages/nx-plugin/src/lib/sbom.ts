/**
 * What an image holds, read from its package databases, and the CycloneDX SBOM that says so. The decisions are
 * pure: parsing dpkg's status file and os-release, naming packages as Package URLs, reading a .NET shared
 * framework's .deps.json, and the BOM. Reading the files out of an image is lib/docker.ts's.
 *
 * The BOM is built and written by @cyclonedx/cyclonedx-library (the CycloneDX project's own model and
 * serialiser, validated against the spec's JSON schema in the tests). Package URLs are written here, by the
 * PURL specification's rules, since the JS reference implementation leaves '+' unencoded where the spec's
 * own test suite encodes it (pkg:deb/debian/attr@1:2.4.47-2%2Bb1, package-url/purl-spec tests/types/deb-test.json).
 */
import { createHash } from 'node:crypto';
import { Enums, Models, Serialize, Spec } from '@cyclonedx/cyclonedx-library';

/** One installed package of dpkg's database (`/var/lib/dpkg/status`, deb-control(5) paragraphs). */
export interface DpkgPackage {
  name: string;
  version: string;
  architecture: string;
  /** The source package, when it differs from the binary's name or version (`Source: name (version)`). */
  source?: { name: string; version: string };
}

/**
 * The installed packages of a dpkg status file: paragraphs separated by blank lines, `Field: value` lines,
 * continuation lines starting with a space or tab (deb-control(5)). Only packages whose Status says
 * `installed`: a removed package whose configuration files remain is `deinstall ok config-files`, and
 * half-installed ones are not what the image runs.
 */
export function parseDpkgStatus(text: string): DpkgPackage[] {
  const packages: DpkgPackage[] = [];
  for (const paragraph of text.split(/\r?\n(?:[ \t]*\r?\n)+/)) {
    const fields = new Map<string, string>();
    let last: string | undefined;
    for (const line of paragraph.split(/\r?\n/)) {
      if (/^[ \t]/.test(line)) continue; // a continuation line: part of a multi-line field none of these are
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      last = line.slice(0, colon).trim().toLowerCase();
      fields.set(last, line.slice(colon + 1).trim());
    }
    const name = fields.get('package');
    const version = fields.get('version');
    const status = (fields.get('status') ?? '').split(/\s+/);
    if (!name || !version || status[2] !== 'installed') continue;
    const pkg: DpkgPackage = { name, version, architecture: fields.get('architecture') ?? '' };
    const source = /^(\S+)(?:\s+\((\S+)\))?$/.exec(fields.get('source') ?? '');
    if (source && (source[1] !== name || (source[2] && source[2] !== version)))
      pkg.source = { name: source[1], version: source[2] ?? version };
    packages.push(pkg);
  }
  return packages.sort((a, b) => a.name.localeCompare(b.name) || a.architecture.localeCompare(b.architecture));
}

/** What `/etc/os-release` (os-release(5)) says about the distribution: `ID`, `VERSION_ID`, `VERSION_CODENAME`. */
export interface OsRelease {
  id: string;
  versionId?: string;
  codename?: string;
  prettyName?: string;
}

export function parseOsRelease(text: string): OsRelease | undefined {
  const values = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!match) continue;
    let value = match[2];
    const quoted = /^"(.*)"$|^'(.*)'$/.exec(value);
    if (quoted) value = (quoted[1] ?? quoted[2]).replace(/\\(["\\$`])/g, '$1');
    values.set(match[1], value);
  }
  const id = values.get('ID');
  if (!id) return undefined;
  return {
    id: id.toLowerCase(),
    versionId: values.get('VERSION_ID'),
    codename: values.get('VERSION_CODENAME'),
    prettyName: values.get('PRETTY_NAME'),
  };
}

/**
 * A PURL component percent-encoded as the PURL specification says: everything but ASCII letters and digits,
 * the punctuation `.-_~` and the colon is encoded (package-url/purl-spec, specification.md, "Character
 * encoding").
 */
export function purlEncode(value: string): string {
  return encodeURIComponent(value)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%3A/gi, ':');
}

/** A Package URL from its parts; qualifiers with an empty value are left out, the others sorted by key. */
export function purl(
  type: string,
  namespace: string | undefined,
  name: string,
  version?: string,
  qualifiers: Record<string, string | undefined> = {},
): string {
  const pairs = Object.entries(qualifiers)
    .filter((entry): entry is [string, string] => !!entry[1])
    .map(([key, value]) => `${key.toLowerCase()}=${purlEncode(value)}`)
    .sort();
  return (
    `pkg:${type}/${namespace ? `${namespace.split('/').map(purlEncode).join('/')}/` : ''}${purlEncode(name)}` +
    `${version ? `@${purlEncode(version)}` : ''}${pairs.length ? `?${pairs.join('&')}` : ''}`
  );
}

/**
 * `pkg:deb/<vendor>/<name>@<version>?arch=<arch>&distro=<id>-<version id>`: the vendor is os-release's ID
 * (debian, ubuntu), lowercased as the deb type wants its namespace and name (purl-spec types/deb-definition.json);
 * `distro` is the qualifier the deb examples use to say which release the version belongs to.
 */
export function debPurl(pkg: DpkgPackage, os: OsRelease | undefined): string {
  const vendor = os?.id ?? 'debian';
  const distro = os?.versionId ? `${vendor}-${os.versionId}` : os?.codename;
  return purl('deb', vendor, pkg.name.toLowerCase(), pkg.version, { arch: pkg.architecture, distro });
}

/** A .NET shared framework as the runtime lays it out: `shared/<name>/<version>/<name>.deps.json`. */
export interface DotnetFramework {
  name: string;
  version: string;
  /** The runtime pack it was laid out from, as its .deps.json names it (`Microsoft.NETCore.App.Runtime.linux-x64/8.0.31`). */
  pack?: { name: string; version: string };
  /** The runtime identifier of the .deps.json's target (`.NETCoreApp,Version=v8.0/linux-x64` → linux-x64). */
  rid?: string;
}

/**
 * A framework from its folder name, version folder and .deps.json text: the package library that file lists
 * is the runtime pack (NuGet) the framework's files come from. A .deps.json that does not parse still leaves
 * the framework's name and version, which its folders say.
 */
export function dotnetFramework(name: string, version: string, depsJson: string | undefined): DotnetFramework {
  const framework: DotnetFramework = { name, version };
  if (!depsJson) return framework;
  let deps: { runtimeTarget?: { name?: string }; libraries?: Record<string, { type?: string }> };
  try {
    deps = JSON.parse(depsJson) as typeof deps;
  } catch {
    return framework;
  }
  const rid = deps.runtimeTarget?.name?.split('/')[1];
  if (rid) framework.rid = rid;
  for (const [key, library] of Object.entries(deps.libraries ?? {})) {
    const slash = key.lastIndexOf('/');
    if (library?.type !== 'package' || slash <= 0) continue;
    framework.pack = { name: key.slice(0, slash), version: key.slice(slash + 1) };
    break;
  }
  return framework;
}

/** NVD's names of the .NET runtimes, which scanners match shared frameworks by. */
const FRAMEWORK_CPES: Record<string, string> = {
  'Microsoft.NETCore.App': 'cpe:2.3:a:microsoft:.net',
  'Microsoft.AspNetCore.App': 'cpe:2.3:a:microsoft:asp.net_core',
};

/** The runtime pack on NuGet (`pkg:nuget/<pack>@<version>`), else the framework itself as a generic package. */
export function frameworkPurl(framework: DotnetFramework): string {
  return framework.pack
    ? purl('nuget', undefined, framework.pack.name, framework.pack.version)
    : purl('generic', undefined, framework.name, framework.version);
}

/** What an image holds, as read from it without running it. */
export interface ImageContents {
  os?: OsRelease;
  packages: DpkgPackage[];
  frameworks: DotnetFramework[];
}

/** The image the SBOM describes: its name and version tag, and the platform it was built for. */
export interface SbomSubject {
  /** The repository, e.g. `123456789012.dkr.ecr.eu-west-1.amazonaws.com/runtime`. */
  name: string;
  /** The version tag, e.g. `8.0-bookworm-slim-1.2.0`. */
  version: string;
  /** The manifest digest the SBOM is attached to. */
  digest: string;
  /** `linux/amd64`. */
  platform: string;
  /** When the image was created (its config's `created`): the BOM's timestamp, so the same image gives the same BOM. */
  created: Date;
}

/** The CycloneDX version the SBOM follows: 1.6 is read by the scanners of 2026 (Trivy, Grype, Inspector, Dependency-Track). */
export const CYCLONEDX_SPEC = Spec.Spec1dot6;

/** A UUID made from a digest (name-based, as RFC 9562's version 5 layout), so one image always gets one serial number. */
function uuidFrom(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The SBOM of one image, CycloneDX JSON: the image as the BOM's subject (a container component), each dpkg
 * package a library, each .NET shared framework a framework. The same image gives the same bytes, so attaching
 * it again names the same referrer instead of adding one.
 */
export function cycloneDxSbom(subject: SbomSubject, contents: ImageContents): string {
  const bom = new Models.Bom();
  bom.serialNumber = `urn:uuid:${uuidFrom(`${subject.digest} ${subject.platform}`)}`;
  bom.metadata.timestamp = subject.created;
  const [os, architecture] = subject.platform.split('/');
  const image = new Models.Component(Enums.ComponentType.Container, subject.name, {
    version: subject.version,
    bomRef: `image:${subject.digest}`,
    purl: purl('oci', undefined, subject.name.split('/').pop()!, subject.digest, {
      arch: architecture,
      os,
      repository_url: subject.name,
      tag: subject.version,
    }),
  });
  bom.metadata.component = image;
  const osName = contents.os;
  if (osName) {
    const component = new Models.Component(Enums.ComponentType.OperatingSystem, osName.id, {
      version: osName.versionId,
      bomRef: `os:${osName.id}`,
      description: osName.prettyName,
    });
    bom.components.add(component);
  }
  for (const pkg of contents.packages) {
    const ref = debPurl(pkg, contents.os);
    const component = new Models.Component(Enums.ComponentType.Library, pkg.name, { version: pkg.version, purl: ref, bomRef: ref });
    if (pkg.source) {
      component.properties.add(new Models.Property('dpkg:source', pkg.source.name));
      component.properties.add(new Models.Property('dpkg:source-version', pkg.source.version));
    }
    bom.components.add(component);
  }
  for (const framework of contents.frameworks) {
    const ref = frameworkPurl(framework);
    const cpe = FRAMEWORK_CPES[framework.name];
    const component = new Models.Component(Enums.ComponentType.Framework, framework.name, {
      version: framework.version,
      purl: ref,
      bomRef: ref,
      ...(cpe ? { cpe: `${cpe}:${framework.version}:*:*:*:*:*:*:*` } : {}),
    });
    component.properties.add(
      new Models.Property('dotnet:shared-framework-path', `/usr/share/dotnet/shared/${framework.name}/${framework.version}`),
    );
    if (framework.rid) component.properties.add(new Models.Property('dotnet:runtime-identifier', framework.rid));
    bom.components.add(component);
  }
  const serializer = new Serialize.JsonSerializer(new Serialize.JSON.Normalize.Factory(CYCLONEDX_SPEC));
  return serializer.serialize(bom, { sortLists: true });
}
