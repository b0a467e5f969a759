using Tether.Server.Tests.Harness;

namespace Tether.Client.Tests;

/// <summary>The server ends a live connection when its token expires; the client asks its token provider for a new
/// one, reconnects and goes on receiving.</summary>
public sealed class TokenRenewalTests
{
    [Fact]
    public async Task A_client_whose_tokens_expire_gets_new_ones_and_keeps_receiving_live()
    {
        await using TestServer server = await TestServer.StartAsync(Tokens.JwtOnlyServer());
        int issued = 0;
        await using TetherClient alice = await ClientHarness.StartAsync(server, "alice", configure: o => o.TokenProvider = _ =>
        {
            Interlocked.Increment(ref issued);
            return ValueTask.FromResult(Tokens.Jwt("alice", DateTimeOffset.UtcNow.AddSeconds(5)));
        });
        await using TetherClient writer = await ClientHarness.StartAsync(server, "alice", configure: o => o.TokenProvider = _ =>
            ValueTask.FromResult(Tokens.Jwt("alice", DateTimeOffset.UtcNow.AddHours(1))));
        await ClientHarness.EventuallyAsync(() => alice.Status == ClientStatus.Live, "alice is live");

        await ClientHarness.EventuallyAsync(
            () => Volatile.Read(ref issued) >= 2 && alice.Status == ClientStatus.Live,
            "alice's first token expired and she is live again with a new one");
        await (await writer.MutateAsync("createTeam", new { id = "t1", name = "After the renewal" })).Confirmed.WaitAsync(TimeSpan.FromSeconds(20));

        await ClientHarness.EventuallyAsync(() => alice.ConfirmedSnapshot().Any(r => r.Key.Model == "team" && r.Key.Id == "t1"), "alice receives the team");
    }
}
