using FsCheck.Xunit;
using Tether.Client.Tests.Convergence;

namespace Tether.Client.Tests;

/// <summary>
/// Property: whatever the interleaving of mutations (colliding on a few records, valid or not), dropped and
/// duplicated and delayed live frames, server restarts and client restarts on persistent or in-memory stores, once
/// everything settles every client's confirmed data equals the server's, and every mutation a client issued took
/// effect on the server exactly once when accepted and never when refused. A failure prints the schedule and
/// FsCheck's replay seed: paste it into <c>Replay</c> to run that case again.
/// </summary>
public sealed class ConvergenceProperties
{
    [Property(MaxTest = 200, Arbitrary = [typeof(ScheduleArbitraries)], QuietOnSuccess = true)]
    public Task Clients_converge_on_the_servers_data_and_every_mutation_takes_effect_at_most_once(Schedule schedule)
        => ConvergenceRun.RunAsync(schedule);
}
