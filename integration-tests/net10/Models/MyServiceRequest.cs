using System.ComponentModel.DataAnnotations;

namespace WebApp.Models;

public class MyServiceRequest
{
    [Required]
    public string? Data { get; set; }

    public string? Color { get; set; }
}

public record MyServiceResponse(string Data);
