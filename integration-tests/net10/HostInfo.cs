using System.Reflection;
using System.Runtime.InteropServices;

namespace WebApp;

/// <summary>What this process runs on, read from the process itself. The app is framework-dependent, so this
/// is the image's own .NET.</summary>
public static class HostInfo
{
    /// <summary>The startup line, e.g. "MyService listening on port 8080 as uid 1654, .NET 8.0.31
    /// (Microsoft.NETCore.App 8.0.31, Microsoft.AspNetCore.App 8.0.31)"; "ports 8080, 8081" for several.</summary>
    public static string StartupLine(IEnumerable<int> ports, string moreFrameworks = "")
    {
        var distinct = ports.Distinct().Order().ToList();
        var listening = $"{(distinct.Count == 1 ? "port" : "ports")} {string.Join(", ", distinct)}";
        return $"MyService listening on {listening} as uid {EffectiveUid()}, {RuntimeInformation.FrameworkDescription} (Microsoft.NETCore.App {Environment.Version}{moreFrameworks})";
    }

    /// <summary>", Microsoft.AspNetCore.App 8.0.31": the ASP.NET Core shared framework the app runs on.</summary>
    public static string AspNetCoreFramework()
    {
        var version = typeof(WebApplication).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        // "8.0.31+<commit>": the commit adds nothing to the version.
        return version is null ? "" : $", Microsoft.AspNetCore.App {version.Split('+')[0]}";
    }

    /// <summary>The effective uid, from the "Uid:" line of /proc/self/status (real, effective, saved and file
    /// system uid): the user the image runs its applications as. "unknown" where there is no /proc.</summary>
    public static string EffectiveUid()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (!line.StartsWith("Uid:", StringComparison.Ordinal)) continue;
                var ids = line["Uid:".Length..].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                if (ids.Length > 1) return ids[1];
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return "unknown";
    }
}
