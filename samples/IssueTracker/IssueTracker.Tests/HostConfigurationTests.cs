using IssueTracker.Server;
using Microsoft.AspNetCore.Builder;

namespace IssueTracker.Tests;

/// <summary>How the issue tracker's server reads its storage flags (<c>IssueTrackerHost.AddIssueTracker</c>): a
/// mistake stops it at startup with a message that says what to pass, rather than running on the wrong store.</summary>
public sealed class HostConfigurationTests
{
    [Theory]
    [InlineData(new[] { "--storage", "postgres" }, "--connection")]
    [InlineData(new[] { "--storage", "mysql" }, "'mysql'")]
    [InlineData(new[] { "--store", "mongo" }, "--store")]
    public void A_storage_that_cannot_be_used_stops_the_server_with_a_message_naming_the_flag(string[] args, string named)
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder(args);

        var refused = Assert.Throws<InvalidOperationException>(() => builder.AddIssueTracker());

        Assert.Contains(named, refused.Message, StringComparison.Ordinal);
    }
}
