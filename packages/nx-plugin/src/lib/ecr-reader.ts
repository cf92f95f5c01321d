/**
 * What the checks of one run read from ECR, shared between them: the repositories in one DescribeRepositories
 * per 100, each repository's listing once, and the newest versions' manifests in one BatchGetImage per
 * repository. A no-change pass over many images then costs a few calls per repository, not several per image.
 * Only the check reads through this: the publish step re-reads the listing right before it pushes.
 */
import { Coalescer, memoize } from './coalescer';
import type { Ecr, EcrImage, EcrLogin, EcrRepository, StoredManifest } from './ecr';
import type { ImageScan } from './scan-policy';

export interface EcrReads {
  repository(name: string): Promise<EcrRepository | undefined>;
  images(name: string): Promise<EcrImage[]>;
  /** The manifest a tag names, undefined when it names nothing. */
  manifest(name: string, tag: string): Promise<StoredManifest | undefined>;
  login(): Promise<EcrLogin>;
  /** An image's scan as ECR has it now (DescribeImageScanFindings): only for mcr-check's reportFindings. */
  scanFindings(name: string, digest: string): Promise<ImageScan | 'not-found'>;
}

/** Repository and tag in one key: a tag never contains a newline. */
const keyOf = (name: string, tag: string) => `${name}\n${tag}`;

export class EcrReader implements EcrReads {
  private readonly repositories: Coalescer<string, EcrRepository | undefined>;
  private readonly manifests: Coalescer<string, StoredManifest | undefined>;
  readonly images: (name: string) => Promise<EcrImage[]>;
  private loginOnce?: Promise<EcrLogin>;

  constructor(private readonly ecr: Ecr) {
    this.repositories = new Coalescer((names) => ecr.findRepositories(names), undefined);
    this.manifests = new Coalescer(async (keys) => {
      const byRepository = new Map<string, string[]>();
      for (const key of keys) {
        const [name, tag] = key.split('\n');
        byRepository.set(name, [...(byRepository.get(name) ?? []), tag]);
      }
      const found = new Map<string, StoredManifest>();
      await Promise.all(
        [...byRepository].map(async ([name, tags]) => {
          for (const [tag, manifest] of await ecr.getManifests(name, tags)) found.set(keyOf(name, tag), manifest);
        }),
      );
      return found;
    }, undefined);
    this.images = memoize((name) => ecr.listImages(name));
  }

  repository(name: string): Promise<EcrRepository | undefined> {
    return this.repositories.get(name);
  }

  manifest(name: string, tag: string): Promise<StoredManifest | undefined> {
    return this.manifests.get(keyOf(name, tag));
  }

  login(): Promise<EcrLogin> {
    this.loginOnce ??= this.ecr.login();
    return this.loginOnce;
  }

  scanFindings(name: string, digest: string): Promise<ImageScan | 'not-found'> {
    return this.ecr.scanFindings(name, digest);
  }
}
