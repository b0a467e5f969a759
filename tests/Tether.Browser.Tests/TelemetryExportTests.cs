using System.Net;
using System.Net.Sockets;
using System.Text;
using Tether.Browser.Tests.Harness;

namespace Tether.Browser.Tests;

/// <summary>The issue tracker server with <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> set exports Tether's spans and meters over
/// OTLP (here to a collector of the test's own on 127.0.0.1).</summary>
public sealed class TelemetryExportTests
{
    [Fact]
    public async Task With_an_OTLP_endpoint_the_sample_exports_Tethers_spans_and_meters()
    {
        using var collector = new OtlpCollector();
        await using BrowserServer server = await BrowserServer.StartNewAsync(TestContext.Current.CancellationToken, settings: new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Endpoint,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
        });
        using var alice = new ServerHttp(server, "alice");

        await alice.PushAsync([("createTeam", new { id = "t1", name = "Traced" })]);

        // Protocol buffers keep strings as UTF-8, so the span and meter names can be found in the bodies as they are.
        await collector.WaitForAsync("/v1/traces", "tether.commit");
        await collector.WaitForAsync("/v1/traces", "tether.push");
        await collector.WaitForAsync("/v1/metrics", "Tether.Server");
    }

    /// <summary>Takes OTLP/HTTP exports and keeps their bodies by path; answers each with an empty (valid) response.</summary>
    private sealed class OtlpCollector : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly List<(string Path, byte[] Body)> _received = [];
        private readonly Task _serving;

        public OtlpCollector()
        {
            int port = FreePort();
            Endpoint = $"http://127.0.0.1:{port}";
            _listener.Prefixes.Add(Endpoint + "/");
            _listener.Start();
            _serving = ServeAsync();
        }

        public string Endpoint { get; }

        public async Task WaitForAsync(string path, string text)
        {
            byte[] wanted = Encoding.UTF8.GetBytes(text);
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (!Has(path, wanted))
            {
                try
                {
                    await Task.Delay(100, deadline.Token);
                }
                catch (OperationCanceledException)
                {
                    Assert.Fail($"No export to {path} named '{text}' within 60 s; received: {string.Join(", ", Paths())}.");
                }
            }
        }

        private bool Has(string path, byte[] wanted)
        {
            lock (_received)
            {
                return _received.Any(r => r.Path == path && r.Body.AsSpan().IndexOf(wanted) >= 0);
            }
        }

        private string[] Paths()
        {
            lock (_received)
            {
                return [.. _received.Select(r => r.Path)];
            }
        }

        private async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
                {
                    return; // Stopped.
                }
                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                lock (_received)
                {
                    _received.Add((context.Request.Url!.AbsolutePath, body.ToArray()));
                }
                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/x-protobuf";
                context.Response.Close();
            }
        }

        private static int FreePort()
        {
            using var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            return ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        public void Dispose()
        {
            _listener.Stop();
            _listener.Close();
            _serving.Wait(TimeSpan.FromSeconds(5));
        }
    }
}
