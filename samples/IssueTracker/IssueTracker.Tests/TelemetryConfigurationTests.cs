using IssueTracker.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace IssueTracker.Tests;

/// <summary>The sample exports telemetry only when told where to (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>): otherwise no
/// tracer or meter provider exists, so nothing is collected and nothing is sent.</summary>
public sealed class TelemetryConfigurationTests
{
    [Fact]
    public async Task Without_an_OTLP_endpoint_the_sample_collects_no_telemetry()
    {
        await using WebApplication app = Build(endpoint: null);

        Assert.Null(app.Services.GetService<TracerProvider>());
        Assert.Null(app.Services.GetService<MeterProvider>());
    }

    [Fact]
    public async Task With_an_OTLP_endpoint_the_sample_has_a_tracer_and_a_meter_provider()
    {
        await using WebApplication app = Build(endpoint: "http://127.0.0.1:4318");

        Assert.NotNull(app.Services.GetService<TracerProvider>());
        Assert.NotNull(app.Services.GetService<MeterProvider>());
    }

    private static WebApplication Build(string? endpoint)
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder();
        builder.Configuration[IssueTrackerTelemetry.EndpointVariable] = endpoint;
        builder.AddIssueTrackerTelemetry();
        return builder.Build();
    }
}
