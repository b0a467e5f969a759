using Tether.Robustness.Tests.Fuzz;
using Tether.Robustness.Tests.Harness;

namespace Tether.Robustness.Tests;

/// <summary>Seeded bad input for the Replicache front end: no 5xx, no internals, no echoed headers, and afterwards
/// a healthy host and an untouched legitimate user (whose client group is on the same server).</summary>
public sealed class ReplicacheFuzzTests
{
    [Fact]
    public Task Bad_pushes_are_refused_cleanly() => FuzzHost.RunHttpGroupAsync("POST /replicache/push", 3101, Templates.ReplicachePush);

    [Fact]
    public Task Bad_pulls_are_refused_cleanly() => FuzzHost.RunHttpGroupAsync("POST /replicache/pull", 3201, Templates.ReplicachePull);

    [Fact]
    public Task Bad_poke_streams_are_refused_cleanly() => FuzzHost.RunHttpGroupAsync("GET /replicache/poke", 3301, Templates.ReplicachePoke);
}
