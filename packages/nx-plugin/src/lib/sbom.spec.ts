import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import {
  cycloneDxSbom,
  debPurl,
  dotnetFramework,
  frameworkPurl,
  parseDpkgStatus,
  parseOsRelease,
  purl,
  type DpkgPackage,
  type ImageContents,
  type SbomSubject,
} from './sbom';

/** Paragraphs as dpkg writes them (Debian 12's libc6, a removed package, a multi-line field, Ubuntu's CRLF-free form). */
const STATUS = `Package: libc6
Status: install ok installed
Priority: optional
Architecture: amd64
Multi-Arch: same
Source: glibc
Version: 2.36-9+deb12u14
Description: GNU C Library: Shared libraries
 Contains the standard libraries that are used by nearly all programs on
 the system.
 .
 Package: not-a-package-line

Package: tzdata
Status: install ok installed
Architecture: all
Version: 2025b-0+deb12u1

Package: libssl1.1
Status: deinstall ok config-files
Architecture: amd64
Version: 1.1.1w-0+deb11u1

Package: libgcc-s1
Status: install ok installed
Architecture: amd64
Source: gcc-12 (12.2.0-14+deb12u1)
Version: 12.2.0-14+deb12u1

Package: libzstd1
Status: install ok half-configured
Architecture: amd64
Version: 1.5.4+dfsg2-5

Package: libpam0g
Status: install ok installed
Architecture: amd64
Source: pam (1.5.2-6)
Version: 1.5.2-6+deb12u1
`;

describe('parseDpkgStatus', () => {
  const byName = new Map(parseDpkgStatus(STATUS).map((p) => [p.name, p]));
  it.each<[string, DpkgPackage | undefined]>([
    [
      'an installed package, its source named without a version',
      { name: 'libc6', version: '2.36-9+deb12u14', architecture: 'amd64', source: { name: 'glibc', version: '2.36-9+deb12u14' } },
    ],
    [
      'an architecture-independent package, source the same as the binary',
      { name: 'tzdata', version: '2025b-0+deb12u1', architecture: 'all' },
    ],
    ['a removed package whose configuration files remain: not installed', undefined],
    [
      'a source with its version, the same as the binary’s: named',
      { name: 'libgcc-s1', version: '12.2.0-14+deb12u1', architecture: 'amd64', source: { name: 'gcc-12', version: '12.2.0-14+deb12u1' } },
    ],
    ['a half-configured package: not what the image runs', undefined],
    [
      'a binNMU-like version: the source keeps its own version',
      { name: 'libpam0g', version: '1.5.2-6+deb12u1', architecture: 'amd64', source: { name: 'pam', version: '1.5.2-6' } },
    ],
  ])('%s', (_, expected) => {
    if (expected) expect(byName.get(expected.name)).toEqual(expected);
  });

  it('lists only installed packages, sorted, and no line of a description as a package', () => {
    expect([...byName.keys()]).toEqual(['libc6', 'libgcc-s1', 'libpam0g', 'tzdata']);
  });

  it('reads CRLF line ends and blank lines holding spaces between paragraphs', () => {
    const text =
      'Package: a\r\nStatus: install ok installed\r\nVersion: 1\r\nArchitecture: amd64\r\n \r\nPackage: b\r\nStatus: install ok installed\r\nVersion: 2\r\nArchitecture: arm64\r\n';
    expect(parseDpkgStatus(text).map((p) => `${p.name}=${p.version}:${p.architecture}`)).toEqual(['a=1:amd64', 'b=2:arm64']);
  });

  it('an empty or missing database has no packages', () => {
    expect(parseDpkgStatus('')).toEqual([]);
  });
});

describe('parseOsRelease', () => {
  it.each([
    [
      'Debian 12',
      'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nID=debian\n',
      { id: 'debian', versionId: '12', codename: 'bookworm', prettyName: 'Debian GNU/Linux 12 (bookworm)' },
    ],
    [
      'Ubuntu 24.04',
      'ID=ubuntu\nID_LIKE=debian\nVERSION_ID="24.04"\nVERSION_CODENAME=noble\n',
      { id: 'ubuntu', versionId: '24.04', codename: 'noble' },
    ],
    ['single quotes and an upper-case ID', "ID='Debian'\nVERSION_ID='11'\n", { id: 'debian', versionId: '11' }],
    ['no ID: unknown', 'NAME=x\n', undefined],
  ])('%s', (_, text, expected) => {
    const parsed = parseOsRelease(text);
    if (!expected) expect(parsed).toBeUndefined();
    else expect(parsed).toMatchObject(expected);
  });
});

describe('purl', () => {
  // The first rows are package-url/purl-spec's own test vectors (tests/types/deb-test.json, nuget-test.json).
  it.each<[string, string, string | undefined, string, string | undefined, Record<string, string | undefined>, string]>([
    [
      'a plus in a version is encoded',
      'deb',
      'debian',
      'attr',
      '1:2.4.47-2+b1',
      { arch: 'amd64' },
      'pkg:deb/debian/attr@1:2.4.47-2%2Bb1?arch=amd64',
    ],
    [
      'a colon is never encoded',
      'deb',
      'debian',
      'dpkg',
      '1.19.0.4',
      { arch: 'amd64', distro: 'stretch' },
      'pkg:deb/debian/dpkg@1.19.0.4?arch=amd64&distro=stretch',
    ],
    [
      'nuget keeps the name’s case',
      'nuget',
      undefined,
      'EnterpriseLibrary.Common',
      '6.0.1304',
      {},
      'pkg:nuget/EnterpriseLibrary.Common@6.0.1304',
    ],
    [
      'qualifiers sorted, empty ones left out',
      'deb',
      'ubuntu',
      'libc6',
      '2.39-0ubuntu8.4',
      { distro: 'ubuntu-24.04', arch: 'arm64', upstream: '' },
      'pkg:deb/ubuntu/libc6@2.39-0ubuntu8.4?arch=arm64&distro=ubuntu-24.04',
    ],
    [
      'a tilde stays, a space and a slash in a value are encoded',
      'generic',
      undefined,
      'x',
      '1.0~rc1',
      { repository_url: 'a b/c' },
      'pkg:generic/x@1.0~rc1?repository_url=a%20b%2Fc',
    ],
  ])('%s', (_, type, namespace, name, version, qualifiers, expected) => {
    expect(purl(type, namespace, name, version, qualifiers)).toBe(expected);
  });
});

describe('debPurl', () => {
  const libc = { name: 'libc6', version: '2.36-9+deb12u14', architecture: 'amd64' };
  it.each([
    [
      'Debian: the vendor and release from os-release',
      { id: 'debian', versionId: '12', codename: 'bookworm' },
      'pkg:deb/debian/libc6@2.36-9%2Bdeb12u14?arch=amd64&distro=debian-12',
    ],
    [
      'Ubuntu: its own vendor',
      { id: 'ubuntu', versionId: '24.04' },
      'pkg:deb/ubuntu/libc6@2.36-9%2Bdeb12u14?arch=amd64&distro=ubuntu-24.04',
    ],
    [
      'a release without VERSION_ID (testing): its codename',
      { id: 'debian', codename: 'trixie' },
      'pkg:deb/debian/libc6@2.36-9%2Bdeb12u14?arch=amd64&distro=trixie',
    ],
    ['no os-release: debian, no distro', undefined, 'pkg:deb/debian/libc6@2.36-9%2Bdeb12u14?arch=amd64'],
  ])('%s', (_, os, expected) => {
    expect(debPurl(libc, os)).toBe(expected);
  });

  it('lowercases the name, as the deb type wants', () => {
    expect(debPurl({ name: 'LibFoo', version: '1', architecture: 'all' }, { id: 'debian', versionId: '12' })).toBe(
      'pkg:deb/debian/libfoo@1?arch=all&distro=debian-12',
    );
  });
});

const NETCORE_DEPS = JSON.stringify({
  runtimeTarget: { name: '.NETCoreApp,Version=v8.0/linux-x64', signature: '' },
  targets: { '.NETCoreApp,Version=v8.0/linux-x64': { 'Microsoft.NETCore.App.Runtime.linux-x64/8.0.31': { runtime: {} } } },
  libraries: {
    'Microsoft.NETCore.App.Runtime.linux-x64/8.0.31': {
      type: 'package',
      serviceable: true,
      sha512: '',
      path: 'microsoft.netcore.app.runtime.linux-x64/8.0.31',
    },
  },
});

describe('dotnetFramework and frameworkPurl', () => {
  it.each<[string, string | undefined, string, string | undefined]>([
    [
      'the runtime pack its .deps.json names: a NuGet package',
      NETCORE_DEPS,
      'pkg:nuget/Microsoft.NETCore.App.Runtime.linux-x64@8.0.31',
      'linux-x64',
    ],
    ['no .deps.json: the framework as a generic package', undefined, 'pkg:generic/Microsoft.NETCore.App@8.0.31', undefined],
    ['a .deps.json that does not parse: the same', '{ not json', 'pkg:generic/Microsoft.NETCore.App@8.0.31', undefined],
    [
      'a .deps.json listing no package: the same',
      JSON.stringify({ libraries: { 'x/1': { type: 'project' } } }),
      'pkg:generic/Microsoft.NETCore.App@8.0.31',
      undefined,
    ],
  ])('%s', (_, deps, expectedPurl, rid) => {
    const framework = dotnetFramework('Microsoft.NETCore.App', '8.0.31', deps);
    expect(frameworkPurl(framework)).toBe(expectedPurl);
    expect(framework.rid).toBe(rid);
    expect(framework.version).toBe('8.0.31');
  });
});

describe('cycloneDxSbom', () => {
  const subject: SbomSubject = {
    name: '000000000000.dkr.ecr.eu-west-1.amazonaws.com/runtime',
    version: '8.0-bookworm-slim-1.2.0',
    digest: `sha256:${'a'.repeat(64)}`,
    platform: 'linux/amd64',
    created: new Date('2026-11-29T10:00:00Z'),
  };
  const contents: ImageContents = {
    os: { id: 'debian', versionId: '12', codename: 'bookworm', prettyName: 'Debian GNU/Linux 12 (bookworm)' },
    packages: parseDpkgStatus(STATUS),
    frameworks: [
      dotnetFramework('Microsoft.NETCore.App', '8.0.31', NETCORE_DEPS),
      dotnetFramework('Microsoft.AspNetCore.App', '8.0.31', undefined),
    ],
  };
  const text = cycloneDxSbom(subject, contents);
  const bom = JSON.parse(text) as {
    bomFormat: string;
    specVersion: string;
    serialNumber: string;
    metadata: { timestamp: string; component: { type: string; name: string; version: string; purl: string } };
    components: Array<{
      type: string;
      name: string;
      version?: string;
      purl?: string;
      cpe?: string;
      properties?: Array<{ name: string; value: string }>;
    }>;
  };

  it('is valid CycloneDX 1.6 by the specification’s JSON schema', async () => {
    expect(await new Validation.JsonStrictValidator(Spec.Version.v1dot6).validate(text)).toBeNull();
  });

  it('describes the image it is attached to', () => {
    expect(bom).toMatchObject({ bomFormat: 'CycloneDX', specVersion: '1.6', metadata: { timestamp: '2026-11-29T10:00:00.000Z' } });
    expect(bom.metadata.component).toMatchObject({
      type: 'container',
      name: subject.name,
      version: subject.version,
      purl: `pkg:oci/runtime@sha256:${'a'.repeat(64)}?arch=amd64&os=linux&repository_url=000000000000.dkr.ecr.eu-west-1.amazonaws.com%2Fruntime&tag=8.0-bookworm-slim-1.2.0`,
    });
  });

  it.each([
    ['libc6', 'library', '2.36-9+deb12u14', 'pkg:deb/debian/libc6@2.36-9%2Bdeb12u14?arch=amd64&distro=debian-12', undefined],
    [
      'Microsoft.NETCore.App',
      'framework',
      '8.0.31',
      'pkg:nuget/Microsoft.NETCore.App.Runtime.linux-x64@8.0.31',
      'cpe:2.3:a:microsoft:.net:8.0.31:*:*:*:*:*:*:*',
    ],
    [
      'Microsoft.AspNetCore.App',
      'framework',
      '8.0.31',
      'pkg:generic/Microsoft.AspNetCore.App@8.0.31',
      'cpe:2.3:a:microsoft:asp.net_core:8.0.31:*:*:*:*:*:*:*',
    ],
    ['debian', 'operating-system', '12', undefined, undefined],
  ])('names %s', (name, type, version, expectedPurl, cpe) => {
    const component = bom.components.find((c) => c.name === name);
    expect(component).toMatchObject({ type, version });
    expect(component?.purl).toBe(expectedPurl);
    expect(component?.cpe).toBe(cpe);
  });

  it('records a package’s source package', () => {
    expect(bom.components.find((c) => c.name === 'libc6')?.properties).toEqual([
      { name: 'dpkg:source', value: 'glibc' },
      { name: 'dpkg:source-version', value: '2.36-9+deb12u14' },
    ]);
  });

  it('is the same bytes for the same image, and another serial number for another', () => {
    expect(cycloneDxSbom(subject, contents)).toBe(text);
    expect(bom.serialNumber).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const other = JSON.parse(cycloneDxSbom({ ...subject, digest: `sha256:${'b'.repeat(64)}` }, contents)) as { serialNumber: string };
    expect(other.serialNumber).not.toBe(bom.serialNumber);
  });
});
