using System.ComponentModel.DataAnnotations;

namespace WebApp.Models;

public class MyServiceRequest
{
    [Required]
    public string? Data { get; set; }

    public string? Color { get; set; }
}

/// <summary>The answer: the data sent, and the .NET that answered (".NET 8.0.31").</summary>
public record MyServiceResponse(string Data, string Runtime);
