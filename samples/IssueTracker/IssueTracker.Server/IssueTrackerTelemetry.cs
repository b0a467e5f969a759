using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Tether.Server;

namespace IssueTracker.Server;

/// <summary>
/// OpenTelemetry for the sample: when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, the server exports its traces (ASP.NET
/// Core's requests and Tether's push, commit, fan-out and delivery spans) and metrics (Tether's meters, ASP.NET
/// Core's) over OTLP, configured by the standard <c>OTEL_*</c> variables; without it nothing is collected or sent.
/// </summary>
public static class IssueTrackerTelemetry
{
    public const string EndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    public static WebApplicationBuilder AddIssueTrackerTelemetry(this WebApplicationBuilder builder)
    {
        if (string.IsNullOrWhiteSpace(builder.Configuration[EndpointVariable]))
        {
            return builder;
        }
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("IssueTracker.Server"))
            .WithTracing(tracing => tracing
                .AddAspNetCoreInstrumentation()
                .AddSource(TetherTelemetry.ActivitySourceName)
                .AddOtlpExporter())
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddMeter([.. TetherTelemetry.MeterNames])
                .AddOtlpExporter());
        return builder;
    }
}
