using System.Globalization;
using System.Text.RegularExpressions;

namespace RuntimeApp;

/// <summary>Where to listen, decided as ASP.NET Core's Kestrel decides it, so that this app listens where an
/// ASP.NET Core app on the same image would.</summary>
/// <remarks>
/// ASPNETCORE_HTTP_PORTS is what the .NET 8+ images set (8080; a ';'-separated list). ASPNETCORE_URLS is read
/// too, because Kestrel reads it and lets it win over the ports: a platform image that sets it (as images
/// before .NET 8 do) moves an ASP.NET Core app, and so moves this one. Only http:// is served: this app has no
/// certificate, so ASPNETCORE_HTTPS_PORTS and https:// URLs are left out, and said so on stderr. With neither
/// set the image configures no port: the app says so and exits 1, where ASP.NET Core would listen on
/// localhost:5000, out of reach from outside the container.
/// </remarks>
public sealed partial record Listening(IReadOnlyList<string> Prefixes, IReadOnlyList<int> Ports, IReadOnlyList<string> Notes)
{
    public static bool TryRead(Func<string, string?> env, out Listening listening, out string problem)
    {
        listening = new Listening([], [], []);
        var notes = new List<string>();
        var endpoints = new List<(string Host, int Port)>();
        var urls = env("ASPNETCORE_URLS");
        var httpPorts = env("ASPNETCORE_HTTP_PORTS");
        var httpsPorts = env("ASPNETCORE_HTTPS_PORTS");
        if (!string.IsNullOrWhiteSpace(urls))
        {
            var overridden = new[] { ("ASPNETCORE_HTTP_PORTS", httpPorts), ("ASPNETCORE_HTTPS_PORTS", httpsPorts) }
                .Where(v => !string.IsNullOrWhiteSpace(v.Item2)).Select(v => $"{v.Item1}={v.Item2}").ToList();
            if (overridden.Count > 0) notes.Add($"ASPNETCORE_URLS={urls} overrides {string.Join(" and ", overridden)}, as in ASP.NET Core");
            foreach (var url in Split(urls))
            {
                var match = UrlPattern().Match(url);
                if (!match.Success)
                {
                    problem = $"ASPNETCORE_URLS: \"{url}\" is not a URL such as http://+:8080";
                    return false;
                }
                if (!match.Groups["scheme"].Value.Equals("http", StringComparison.OrdinalIgnoreCase))
                {
                    notes.Add($"ASPNETCORE_URLS: {url} is not served: this test app speaks plain HTTP only");
                    continue;
                }
                if (match.Groups["path"].Value.Trim('/').Length > 0)
                {
                    problem = $"ASPNETCORE_URLS: \"{url}\" has a path, which ASP.NET Core refuses there too";
                    return false;
                }
                var port = match.Groups["port"].Success ? ParsePort(match.Groups["port"].Value) : 80;
                if (port is null)
                {
                    problem = $"ASPNETCORE_URLS: \"{url}\" has no valid port (1-65535)";
                    return false;
                }
                endpoints.Add((match.Groups["host"].Value, port.Value));
            }
        }
        else
        {
            if (!string.IsNullOrWhiteSpace(httpsPorts)) notes.Add($"ASPNETCORE_HTTPS_PORTS={httpsPorts} is not served: this test app speaks plain HTTP only");
            foreach (var text in Split(httpPorts ?? ""))
            {
                var port = ParsePort(text);
                if (port is null)
                {
                    problem = $"ASPNETCORE_HTTP_PORTS: \"{text}\" is not a port (1-65535)";
                    return false;
                }
                endpoints.Add(("*", port.Value));
            }
        }
        if (endpoints.Count == 0)
        {
            problem = string.IsNullOrWhiteSpace(urls)
                ? "neither ASPNETCORE_HTTP_PORTS nor ASPNETCORE_URLS is set, so the image configures no port to listen on"
                : $"ASPNETCORE_URLS={urls} names no http:// URL";
            return false;
        }
        // HttpListener's "+" binds every IPv4 address (Kestrel's wildcard also takes IPv6; Docker reaches a
        // container's published port over IPv4). A named host is bound as it resolves, and must then be the
        // request's Host.
        var prefixes = endpoints.Select(e => $"http://{(IsAnyHost(e.Host) ? "+" : e.Host)}:{e.Port}/").Distinct().ToList();
        listening = new Listening(prefixes, endpoints.Select(e => e.Port).Distinct().Order().ToList(), notes);
        problem = "";
        return true;
    }

    private static IEnumerable<string> Split(string list) =>
        list.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static int? ParsePort(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and <= 65535 ? port : null;

    private static bool IsAnyHost(string host) => host is "*" or "+" or "0.0.0.0" or "[::]";

    [GeneratedRegex(@"^(?<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?<host>\[[^\]]*\]|[^:/\[\]]+)(?::(?<port>[0-9]+))?(?<path>/.*)?$")]
    private static partial Regex UrlPattern();
}
