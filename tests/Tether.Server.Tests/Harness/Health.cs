using System.Text.Json;

namespace Tether.Server.Tests.Harness;

/// <summary>Reads <c>/sync/health</c>, which reports the writer's queue as well as the store.</summary>
public static class Health
{
    public static async Task<JsonElement> ReadAsync(TestServer server)
    {
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        return JsonDocument.Parse(await http.GetStringAsync("/sync/health")).RootElement.Clone();
    }

    /// <summary>Polls until <paramref name="condition"/> holds of the health report; fails after a minute.</summary>
    public static async Task<JsonElement> WaitUntilAsync(TestServer server, Func<JsonElement, bool> condition, string what)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while (true)
        {
            JsonElement health = await ReadAsync(server);
            if (condition(health))
            {
                return health;
            }
            try
            {
                await Task.Delay(20, deadline.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"Timed out waiting until {what}; health was {health}");
            }
        }
    }

    public static long QueuedPushes(this JsonElement health) => health.GetProperty("queuedPushes").GetInt64();
    public static string Status(this JsonElement health) => health.GetProperty("status").GetString()!;
}
