using IssueTracker.Server;
using Tether.Server;

WebApplicationBuilder builder = WebApplication.CreateBuilder(args);
if (string.IsNullOrEmpty(builder.Configuration["urls"]))
{
    builder.WebHost.UseUrls(IssueTrackerHost.DefaultUrl);
}
builder.AddIssueTracker();

WebApplication app = builder.Build();
app.MapTether("/sync");
app.MapGet("/", () => Results.Text(
    "Tether issue tracker server. Sync endpoints are under /sync (see README.md); health: /sync/health.\n"));
app.Run();
