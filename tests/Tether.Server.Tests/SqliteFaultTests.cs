using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Tether.Server.Tests.Harness;
using static Tether.Server.Tests.Harness.SyncApi;

namespace Tether.Server.Tests;

/// <summary>Faults only the SQLite store has (its file lock); not part of the suite the PostgreSQL project runs.</summary>
public sealed class SqliteFaultTests
{
    [Fact]
    public async Task Push_while_the_database_is_locked_is_unavailable_with_retry_after_and_succeeds_when_retried()
    {
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings { Store = s => s.BusyTimeout = TimeSpan.FromMilliseconds(100) });
        using SyncApi alice = server.Api("alice");
        var mutation = M(1, "createTeam", new { id = "t1", name = "T" });

        // Another process holding the write lock is a real transient fault of SQLite.
        await using (var intruder = new SqliteConnection($"Data Source={server.DataPath};Pooling=False"))
        {
            await intruder.OpenAsync();
            using SqliteCommand lockIt = intruder.CreateCommand();
            lockIt.CommandText = "BEGIN EXCLUSIVE";
            await lockIt.ExecuteNonQueryAsync();

            using HttpResponseMessage response = await alice.PushRawAsync("c1", mutation);

            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.NotNull(response.Headers.RetryAfter);
            await Errors.ReadAsync(response, "unavailable");
        }

        JsonElement retried = await alice.PushAsync("c1", (JsonObject)mutation.DeepClone());
        Assert.Equal("applied", retried.GetProperty("results")[0].GetProperty("status").GetString());
        Assert.Single(await alice.AllActionsAsync(), a => a.GetProperty("modelName").GetString() == "team");
    }

    [Theory]
    [InlineData("/sync/delta")]
    [InlineData("/sync/delta?from=-1")]
    [InlineData("/sync/delta?from=0&limit=0")]
    [InlineData("/sync/delta?from=0&limit=999999999")]
    [InlineData("/sync/poll?from=x")]
    public async Task Bad_query_is_a_bad_request(string url)
    {
        await using TestServer server = await TestServer.StartAsync();
        using SyncApi alice = server.Api("alice");
        using HttpResponseMessage response = await alice.Http.GetAsync(url);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        await Errors.ReadAsync(response, "bad_request");
    }
}
