using System.Net;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace RuntimeApp;

/// <summary>POST /MyService, answered as the ASP.NET Core test app's [ApiController] answers it.</summary>
public static class MyService
{
    private const string Path = "/MyService";

    public static async Task AnswerAsync(HttpListenerContext context)
    {
        var response = context.Response;
        try
        {
            var answer = await AnswerAsync(context.Request.HttpMethod, context.Request.Url?.AbsolutePath ?? "/", context.Request.ContentType, context.Request.InputStream);
            response.StatusCode = answer.Status;
            if (answer.Allow is not null) response.AddHeader("Allow", answer.Allow);
            if (answer.Body is null)
            {
                response.ContentLength64 = 0;
            }
            else
            {
                response.ContentType = answer.ContentType;
                response.ContentLength64 = answer.Body.Length;
                await response.OutputStream.WriteAsync(answer.Body);
            }
            response.Close();
        }
        catch (Exception e)
        {
            // A client that went away, or the listener stopping, leaves nobody to answer; anything else is said.
            if (e is not (HttpListenerException or IOException or ObjectDisposedException))
            {
                Console.Error.WriteLine($"MyService: {context.Request.HttpMethod} {context.Request.Url?.AbsolutePath} failed: {e}");
            }
            response.Abort();
        }
    }

    /// <summary>The answer to one request: 200 with the data and the runtime; 400 without data; 404 for other
    /// paths, 405 for other methods, 415 for a Content-Type that is not JSON. (A POST without a body length
    /// HttpListener answers 411 itself.)</summary>
    public static async Task<Answer> AnswerAsync(string method, string path, string? contentType, Stream body)
    {
        // ASP.NET Core routes match case-insensitively, with or without a trailing slash.
        if (!string.Equals(path.TrimEnd('/'), Path, StringComparison.OrdinalIgnoreCase)) return new Answer(404);
        if (method != "POST") return new Answer(405) { Allow = "POST" };
        if (!IsJson(contentType)) return Problem(415, "Unsupported Media Type");

        MyServiceRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync(body, AppJson.Default.MyServiceRequest);
        }
        catch (JsonException e)
        {
            return Problem(400, "One or more validation errors occurred.", new() { [e.Path ?? "$"] = [e.Message] });
        }
        if (request is null) return Problem(400, "One or more validation errors occurred.", new() { [""] = ["A non-empty request body is required."] });
        // [Required] on a string refuses null, empty and white space alike.
        if (string.IsNullOrWhiteSpace(request.Data)) return Problem(400, "One or more validation errors occurred.", new() { ["Data"] = ["The Data field is required."] });

        var answer = new MyServiceResponse(request.Data, RuntimeInformation.FrameworkDescription);
        return new Answer(200, JsonSerializer.SerializeToUtf8Bytes(answer, AppJson.Default.MyServiceResponse), "application/json; charset=utf-8");
    }

    /// <summary>application/json, text/json and application/*+json: what ASP.NET Core's JSON input formatter reads.</summary>
    private static bool IsJson(string? contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var parsed) || parsed.MediaType is not { } mediaType) return false;
        return mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || mediaType.Equals("text/json", StringComparison.OrdinalIgnoreCase)
            || (mediaType.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
    }

    private static Answer Problem(int status, string title, Dictionary<string, string[]>? errors = null) =>
        new(status, JsonSerializer.SerializeToUtf8Bytes(new ProblemDetails(title, status, errors), AppJson.Default.ProblemDetails), "application/problem+json; charset=utf-8");
}

public sealed record Answer(int Status, byte[]? Body = null, string? ContentType = null)
{
    public string? Allow { get; init; }
}

public sealed class MyServiceRequest
{
    public string? Data { get; set; }

    public string? Color { get; set; }
}

/// <summary>The answer: the data sent, and the .NET that answered (".NET 8.0.31").</summary>
public sealed record MyServiceResponse(string Data, string Runtime);

public sealed record ProblemDetails(string Title, int Status, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Dictionary<string, string[]>? Errors);

/// <summary>Serialization decided at compile time, with ASP.NET Core's web defaults (camelCase, names matched
/// case-insensitively).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(MyServiceRequest))]
[JsonSerializable(typeof(MyServiceResponse))]
[JsonSerializable(typeof(ProblemDetails))]
internal sealed partial class AppJson : JsonSerializerContext;
