/**
 * ECR's WILDCARD filters, as tag mutability exclusion filters and registry scanning rules' repository filters
 * take them (ECR API reference, ImageTagMutabilityExclusionFilter and ScanningRepositoryFilter): the filter
 * matches the whole name, each `*` standing for any run of characters, none included.
 */
export function wildcardMatches(filter: string, name: string): boolean {
  const pattern = filter
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${pattern}$`).test(name);
}
