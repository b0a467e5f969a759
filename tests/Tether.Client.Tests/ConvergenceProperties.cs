using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.FSharp.Core;
using Tether.Client.Tests.Convergence;

namespace Tether.Client.Tests;

/// <summary>
/// Property: whatever the interleaving of mutations (colliding on a few records, valid or not), dropped and
/// duplicated and delayed live frames, server restarts and client restarts on persistent or in-memory stores, once
/// everything settles every client's confirmed data equals the server's, and every mutation a client issued took
/// effect on the server exactly once when accepted and never when refused. Every run prints its seed; a failure
/// prints the schedule too, and <c>TETHER_SEED=&lt;seed&gt;</c> runs the same schedules again.
/// </summary>
public sealed class ConvergenceProperties
{
    private const string SeedVariable = "TETHER_SEED";

    /// <summary>FsCheck's random stream is a seed and an odd gamma; the gamma is fixed so one number replays a run.</summary>
    private const ulong Gamma = 0x9E3779B97F4A7C15;

    [Fact]
    public async Task Clients_converge_on_the_servers_data_and_every_mutation_takes_effect_at_most_once()
    {
        ulong seed = Environment.GetEnvironmentVariable(SeedVariable) is { Length: > 0 } given
            ? ulong.Parse(given, CultureInfo.InvariantCulture)
            : (ulong)Random.Shared.NextInt64(long.MaxValue);
        string replay = $"seed {seed} (run it again with {SeedVariable}={seed})";
        TestContext.Current.TestOutputHelper?.WriteLine("Convergence property: " + replay);
        Config config = Config.QuickThrowOnFailure
            .WithMaxTest(200)
            .WithQuietOnSuccess(true)
            .WithReplay(FSharpOption<Replay>.Some(new Replay(new Rnd(seed, Gamma), FSharpOption<int>.None)));
        Property property = Prop.ForAll(ScheduleArbitraries.Schedules(), schedule => ConvergenceRun.RunAsync(schedule));

        try
        {
            // FsCheck waits for each run itself; off the test's own context, so that nothing the runs post back to it
            // waits on a thread FsCheck holds.
            await Task.Run(() => property.Check(config), TestContext.Current.CancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"The convergence property failed with {replay}:\n{e.Message}", e);
        }
    }
}
