using Tether.Mutators;
using Tether.Server.Tests.Harness;

namespace Tether.Client.Tests.Bugs;

/// <summary>Found by the convergence property (a client restarted while its push was in flight): the server
/// refused a mutation, its answer was lost, and the retry was answered <c>duplicate</c>, which the client took
/// for applied: the app was never told of the rejection and the handle confirmed a mutation that never happened.</summary>
public sealed class A_refused_mutation_whose_answer_was_lost_was_confirmed_as_applied
{
    [Fact]
    public async Task A_refused_mutation_whose_answer_was_lost_is_still_reported_as_refused()
    {
        await using TestServer server = await TestServer.StartAsync(ClientHarness.ServerSettings);
        using var losing = new LoseFirstPushAnswer();
        await using TetherClient alice = await ClientHarness.StartAsync(server, "alice", configure: o => o.HttpHandler = losing);
        var rejections = new List<MutationRejectedEventArgs>();
        alice.MutationRejected += (_, e) => rejections.Add(e);

        MutationHandle doomed = await alice.MutateAsync(ServerRefusesMutator.MutatorName, new { id = "doomed" });

        var refused = await Assert.ThrowsAsync<MutationRejectedException>(() => doomed.Confirmed.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal("forbidden", refused.Code);
        Assert.Equal(doomed.Id, Assert.Single(rejections).MutationId);
        Assert.True(losing.Lost);
        Assert.Null(alice.Issue("doomed"));
    }

    /// <summary>Delivers the first push to the server, then loses its answer.</summary>
    private sealed class LoseFirstPushAnswer() : DelegatingHandler(new SocketsHttpHandler())
    {
        public bool Lost { get; private set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            HttpResponseMessage response = await base.SendAsync(request, cancellationToken);
            if (!Lost && request.RequestUri!.AbsolutePath.EndsWith("/push", StringComparison.Ordinal))
            {
                Lost = true;
                response.Dispose();
                throw new HttpRequestException("The test lost the push answer.");
            }
            return response;
        }
    }
}
