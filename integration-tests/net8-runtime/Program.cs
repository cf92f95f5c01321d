using System.Net;
using System.Runtime.InteropServices;
using RuntimeApp;

// MyService on the base .NET runtime alone (Microsoft.NETCore.App, no ASP.NET Core): HttpListener serves
// POST /MyService as the ASP.NET Core test app does, on the ports the image configures.
if (!Listening.TryRead(Environment.GetEnvironmentVariable, out var listening, out var problem))
{
    Console.Error.WriteLine($"MyService cannot start: {problem}");
    return 1;
}
foreach (var note in listening.Notes) Console.Error.WriteLine($"MyService: {note}");

using var listener = new HttpListener();
foreach (var prefix in listening.Prefixes) listener.Prefixes.Add(prefix);
try
{
    listener.Start();
}
catch (HttpListenerException e)
{
    Console.Error.WriteLine($"MyService cannot listen on {string.Join(", ", listening.Prefixes)}: {e.Message}");
    return 1;
}

// docker stop sends SIGTERM: stop taking requests, let those under way finish, exit 0. Cancelling the
// signal's default handling keeps the runtime from ending the process before that.
using var stopping = new CancellationTokenSource();
void Stop(PosixSignalContext signal)
{
    signal.Cancel = true;
    stopping.Cancel();
}
using var onSigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
using var onSigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);

Console.WriteLine(HostInfo.StartupLine(listening.Ports));

var underWay = new List<Task>();
while (!stopping.IsCancellationRequested)
{
    HttpListenerContext context;
    try
    {
        context = await listener.GetContextAsync().WaitAsync(stopping.Token);
    }
    catch (OperationCanceledException)
    {
        break;
    }
    underWay.RemoveAll(task => task.IsCompleted);
    underWay.Add(Task.Run(() => MyService.AnswerAsync(context)));
}

listener.Stop();
try
{
    await Task.WhenAll(underWay).WaitAsync(TimeSpan.FromSeconds(5));
}
catch (TimeoutException)
{
    Console.Error.WriteLine("MyService: requests still under way after 5 s were dropped");
}
listener.Close();
Console.WriteLine("MyService stopped");
return 0;
