using WebApp;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddControllers();

var app = builder.Build();
app.MapControllers();

// Kestrel listens where the image says: ASPNETCORE_HTTP_PORTS (8080 in the .NET 8+ images), or ASPNETCORE_URLS,
// which overrides it. Once it listens, one line says on which ports, as which user and on which .NET.
app.Lifetime.ApplicationStarted.Register(() =>
    Console.WriteLine(HostInfo.StartupLine(app.Urls.Select(url => BindingAddress.Parse(url).Port), HostInfo.AspNetCoreFramework())));

// The host stops gracefully on SIGTERM (docker stop) and SIGINT.
app.Run();
