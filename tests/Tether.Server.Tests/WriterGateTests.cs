using Tether.Server.Internal.Pipeline;

namespace Tether.Server.Tests;

/// <summary>The writer loops commit side by side; a commit run again after a conflict enters alone, once every other
/// writer has left, and none enters while it is in.</summary>
public sealed class WriterGateTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Writers_enter_side_by_side_up_to_their_number()
    {
        var gate = new WriterGate(2);
        WriterGate.Entered first = await gate.EnterAsync(alone: false, Ct);
        WriterGate.Entered second = await gate.EnterAsync(alone: false, Ct).AsTask().WaitAsync(Bound, Ct);
        Task<WriterGate.Entered> third = gate.EnterAsync(alone: false, Ct).AsTask();
        Assert.False(third.IsCompleted);

        first.Dispose();
        (await third.WaitAsync(Bound, Ct)).Dispose();
        second.Dispose();
    }

    [Fact]
    public async Task A_retry_enters_only_once_every_writer_has_left_and_keeps_the_others_out_while_it_is_in()
    {
        var gate = new WriterGate(3);
        WriterGate.Entered a = await gate.EnterAsync(alone: false, Ct);
        WriterGate.Entered b = await gate.EnterAsync(alone: false, Ct);
        Task<WriterGate.Entered> retry = gate.EnterAsync(alone: true, Ct).AsTask();
        Assert.False(retry.IsCompleted);

        a.Dispose();
        Assert.False(retry.IsCompleted);
        b.Dispose();
        WriterGate.Entered alone = await retry.WaitAsync(Bound, Ct);

        Task<WriterGate.Entered> next = gate.EnterAsync(alone: false, Ct).AsTask();
        Assert.False(next.IsCompleted);
        alone.Dispose();
        (await next.WaitAsync(Bound, Ct)).Dispose();
    }

    [Fact]
    public async Task Two_retries_waiting_at_once_enter_one_after_the_other()
    {
        var gate = new WriterGate(2);
        WriterGate.Entered writer = await gate.EnterAsync(alone: false, Ct);
        Task<WriterGate.Entered> first = gate.EnterAsync(alone: true, Ct).AsTask();
        Task<WriterGate.Entered> second = gate.EnterAsync(alone: true, Ct).AsTask();

        writer.Dispose();
        Task<WriterGate.Entered> entered = await Task.WhenAny(first, second).WaitAsync(Bound, Ct);
        Task<WriterGate.Entered> waiting = entered == first ? second : first;
        Assert.False(waiting.IsCompleted);
        (await entered).Dispose();
        (await waiting.WaitAsync(Bound, Ct)).Dispose();
    }

    [Fact]
    public async Task A_retry_cancelled_while_it_waits_gives_back_what_it_took()
    {
        var gate = new WriterGate(2);
        WriterGate.Entered writer = await gate.EnterAsync(alone: false, Ct);
        using var cancel = new CancellationTokenSource();
        Task<WriterGate.Entered> retry = gate.EnterAsync(alone: true, cancel.Token).AsTask();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => retry.WaitAsync(Bound, Ct));

        writer.Dispose();
        (await gate.EnterAsync(alone: true, Ct).AsTask().WaitAsync(Bound, Ct)).Dispose();
        WriterGate.Entered one = await gate.EnterAsync(alone: false, Ct).AsTask().WaitAsync(Bound, Ct);
        WriterGate.Entered two = await gate.EnterAsync(alone: false, Ct).AsTask().WaitAsync(Bound, Ct);
        one.Dispose();
        two.Dispose();
    }
}
