using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Mvc;
using WebApp.Models;

namespace WebApp.Controllers;

[ApiController]
[Route("[controller]")]
public class MyServiceController : ControllerBase
{
    // [ApiController] answers 400 by itself when the body fails validation (no data).
    [HttpPost]
    public ActionResult<MyServiceResponse> Post(MyServiceRequest request) =>
        Ok(new MyServiceResponse(request.Data!, RuntimeInformation.FrameworkDescription));
}
