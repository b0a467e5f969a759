using IssueTracker.Server;

WebApplicationBuilder builder = WebApplication.CreateBuilder(args);
if (string.IsNullOrEmpty(builder.Configuration["urls"]))
{
    builder.WebHost.UseUrls(IssueTrackerHost.DefaultUrl);
}
builder.AddIssueTracker();
builder.AddIssueTrackerTelemetry();
// Outside Development (the build output run as Production, say) the web root would not see the browser app's files
// before a publish; the build's static web assets manifest puts them there (a no-op once published, the files are
// then real).
builder.WebHost.UseStaticWebAssets();

WebApplication app = builder.Build();
app.MapIssueTrackerSync();
// The browser app (IssueTracker.Web) is served from the same origin, so it reaches /sync without CORS. Its files,
// _framework included, come from the referenced project's static web assets; any other path that is not a file
// falls back to index.html so that client-side routes (/team/..., /issue/...) survive a reload.
app.MapStaticAssets();
// The page is revalidated on every load, so a new deployment is picked up at once; the fingerprinted files it names are
// cached for good by MapStaticAssets.
app.MapFallbackToFile("index.html", new StaticFileOptions
{
    OnPrepareResponse = context => context.Context.Response.Headers.CacheControl = "no-cache",
});
// An unknown sync path is an API error, not a page: without this the fallback would answer it with index.html.
app.MapFallback("/sync/{*rest}", () => Results.NotFound());
app.Run();
