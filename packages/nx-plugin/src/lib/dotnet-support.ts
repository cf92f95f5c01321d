/**
 * When each .NET major version leaves Microsoft's support (its last patch Tuesday), from the official
 * release table. A platform image past that date still gets rebuilt — OS patches keep coming for a
 * while through the base image — but nobody fixes .NET itself any more, so every run says so.
 * Workspaces extend or correct the table with `dotnetEndOfSupport` in nx.json.
 */
export const END_OF_SUPPORT: Readonly<Record<string, string>> = {
  net5: '2022-05-10',
  net6: '2024-11-12',
  net7: '2024-05-14',
  net8: '2026-11-10',
  net9: '2026-11-10',
  net10: '2028-11-14',
};

/**
 * The .NET line of a platform image, from its folder: the first folder named for one, as in
 * platform-images/<dotnet>/<variant> (or any layout the plugin options give).
 */
export function dotnetLineOf(projectRoot: string): string | undefined {
  return projectRoot.split('/').find((part) => /^net\d+$/.test(part));
}

/** A warning when `dotnet` is past its end of support on `today`; undefined while supported or unknown. */
export function endOfSupportWarning(dotnet: string | undefined, today: Date, overrides: Record<string, string> = {}): string | undefined {
  if (!dotnet) return undefined;
  const date = overrides[dotnet] ?? END_OF_SUPPORT[dotnet];
  if (!date) return undefined;
  const end = new Date(`${date}T23:59:59Z`);
  if (today <= end) return undefined;
  const version = `.NET ${dotnet.slice(3)}`;
  return `${version} reached its end of support on ${date}: Microsoft no longer patches it; move the image to a supported .NET version`;
}
