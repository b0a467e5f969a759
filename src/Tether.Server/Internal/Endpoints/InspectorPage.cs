using Microsoft.AspNetCore.Http;

namespace Tether.Server.Internal.Endpoints;

/// <summary>
/// <c>{prefix}/_inspector</c>: one static page for admins, showing the admin API (status, commit figures, connected
/// clients, a user's groups, the log's tail) live. The page holds no data of its own; it asks for the admin's token and
/// sends it to the admin API, which decides. Scripts and styles are the page's own, and it may talk only to this origin.
/// </summary>
internal static class InspectorPage
{
    private static readonly Lazy<byte[]> Html = new(() =>
    {
        using Stream page = typeof(InspectorPage).Assembly.GetManifestResourceStream("Tether.Server.Inspector.html")
            ?? throw new InvalidOperationException("The inspector page is missing from Tether.Server's resources.");
        using var copy = new MemoryStream();
        page.CopyTo(copy);
        return copy.ToArray();
    });

    public static async Task ServeAsync(HttpContext http)
    {
        http.Response.ContentType = "text/html; charset=utf-8";
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers.XContentTypeOptions = "nosniff";
        http.Response.Headers["Referrer-Policy"] = "no-referrer";
        http.Response.Headers.ContentSecurityPolicy =
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'";
        await http.Response.Body.WriteAsync(Html.Value, http.RequestAborted);
    }
}
