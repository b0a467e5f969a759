using FsCheck;
using FsCheck.Fluent;

namespace Tether.Client.Tests.Convergence;

public enum StepKind
{
    Mutate,
    /// <summary>Break the client's live channel (its stream ends, or it throws an IOException).</summary>
    Disconnect,
    /// <summary>The client's next frames arrive twice.</summary>
    Duplicate,
    /// <summary>The client's next frames are held for a few milliseconds each, in order.</summary>
    Delay,
    RestartServer,
    /// <summary>Dispose the client and start it again on the same local store.</summary>
    RestartClient,
    /// <summary>Wait (bounded, not asserted) until the client has sent and confirmed what it has: lets the network
    /// catch up between bursts, so faults land at different points of the sync.</summary>
    Settle,
}

public enum OpKind
{
    CreateIssue,
    UpdateTitle,
    UpdateStatus,
    DeleteIssue,
    AddComment,
}

/// <summary>One client of a case: which user it signs in as, where it keeps its data, how it listens.</summary>
public sealed record ClientSpec(string User, bool Sqlite, LiveTransport Transport)
{
    public override string ToString() => $"{User}/{(Sqlite ? "sqlite" : "memory")}/{(Transport == LiveTransport.ServerSentEvents ? "sse" : "ws")}";
}

/// <summary>One step; <see cref="Issue"/> picks from a small id space so that clients collide on the same records,
/// <see cref="Variant"/> picks the status, the kind of disconnect, the number of frames.</summary>
public sealed record Step(StepKind Kind, int Client, OpKind Op = OpKind.CreateIssue, int Issue = 0, int Variant = 0)
{
    public override string ToString() => Kind switch
    {
        StepKind.Mutate => $"c{Client}.{Op}(i{Issue}{(Op == OpKind.UpdateStatus ? "," + Schedule.Statuses[Variant % 3] : "")})",
        StepKind.RestartServer => "restartServer",
        StepKind.Disconnect => $"c{Client}.disconnect({(Variant % 2 == 0 ? "end" : "ioerror")})",
        _ => $"c{Client}.{Kind}({Variant})",
    };
}

/// <summary>A generated case: the clients of one team and what happens to them.</summary>
public sealed record Schedule(ClientSpec[] Clients, Step[] Steps)
{
    public const int IssueIds = 3;
    public static readonly string[] Statuses = ["todo", "doing", "done"];

    public override string ToString() => $"clients [{string.Join(", ", Clients.Select((c, i) => $"c{i}={c}"))}] steps [{string.Join(", ", Steps)}]";
}

/// <summary>Generates schedules (3 or 4 clients: alice on two devices, bob, sometimes carol; 10–25 steps) and shrinks
/// them by dropping steps.</summary>
public static class ScheduleArbitraries
{
    public static Arbitrary<Schedule> Schedules() => Arb.From(Generate(), Shrink);

    private static Gen<ClientSpec> ClientGen(string user) =>
        from sqlite in Gen.Elements(true, false)
        from sse in Gen.Frequency((4, Gen.Constant(false)), (1, Gen.Constant(true)))
        select new ClientSpec(user, sqlite, sse ? LiveTransport.ServerSentEvents : LiveTransport.WebSocket);

    private static Gen<Step> StepGen(int clients)
    {
        Gen<int> client = Gen.Choose(0, clients - 1);
        Gen<Step> mutate =
            from c in client
            from op in Gen.Frequency(
                (3, Gen.Constant(OpKind.CreateIssue)),
                (3, Gen.Constant(OpKind.UpdateTitle)),
                (3, Gen.Constant(OpKind.UpdateStatus)),
                (2, Gen.Constant(OpKind.DeleteIssue)),
                (2, Gen.Constant(OpKind.AddComment)))
            from issue in Gen.Choose(0, Schedule.IssueIds - 1)
            from variant in Gen.Choose(0, 2)
            select new Step(StepKind.Mutate, c, op, issue, variant);
        Gen<Step> Fault(StepKind kind, int maxVariant) =>
            from c in client
            from variant in Gen.Choose(0, maxVariant)
            select new Step(kind, c, Variant: variant);
        return Gen.Frequency(
            (24, mutate),
            (3, Fault(StepKind.Disconnect, 1)),
            (2, Fault(StepKind.Duplicate, 3)),
            (2, Fault(StepKind.Delay, 3)),
            (1, Gen.Constant(new Step(StepKind.RestartServer, 0))),
            (3, Fault(StepKind.RestartClient, 0)),
            (4, Fault(StepKind.Settle, 0)));
    }

    public static Gen<Schedule> Generate() =>
        from carol in Gen.Elements(true, false)
        from alice in ClientGen("alice")
        from bob in ClientGen("bob")
        from alice2 in ClientGen("alice")
        from third in ClientGen("carol")
        let clients = carol ? new[] { alice, bob, alice2, third } : [alice, bob, alice2]
        from length in Gen.Choose(10, 25)
        from steps in StepGen(clients.Length).ArrayOf(length)
        select new Schedule(clients, steps);

    /// <summary>Smaller schedules: halves, then one step fewer.</summary>
    public static IEnumerable<Schedule> Shrink(Schedule schedule)
    {
        Step[] steps = schedule.Steps;
        if (steps.Length > 1)
        {
            yield return schedule with { Steps = steps[..(steps.Length / 2)] };
            yield return schedule with { Steps = steps[(steps.Length / 2)..] };
        }
        for (int i = 0; i < steps.Length; i++)
        {
            yield return schedule with { Steps = [.. steps[..i], .. steps[(i + 1)..]] };
        }
    }
}
