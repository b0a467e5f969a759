namespace Tether.Server.Internal.Pipeline;

/// <summary>
/// Lets this process's writer loops commit side by side, except a commit run again after a conflict, which runs with
/// none of them. Concurrent transactions on a small table conflict often under SERIALIZABLE (PostgreSQL locks what a
/// transaction read by index page, so two writers of unrelated rows on one page can each invalidate the other); a
/// retry alone among this node's writers can only lose to other nodes, so a conflict costs one retry, not a run of them.
/// </summary>
internal sealed class WriterGate(int writers)
{
    private readonly int _writers = Math.Max(1, writers);
    private readonly SemaphoreSlim _slots = new(Math.Max(1, writers), Math.Max(1, writers));
    // Alone-takers queue here first, so two of them never each hold a part of the slots the other waits for.
    private readonly SemaphoreSlim _alone = new(1, 1);

    /// <summary>Enters beside the other writers, or (<paramref name="alone"/>) once all of them have left.</summary>
    public async ValueTask<Entered> EnterAsync(bool alone, CancellationToken cancellationToken)
    {
        if (!alone)
        {
            await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
            return new Entered(this, 1, alone: false);
        }
        await _alone.WaitAsync(cancellationToken).ConfigureAwait(false);
        int taken = 0;
        try
        {
            for (; taken < _writers; taken++)
            {
                await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            Leave(taken, alone: true);
            throw;
        }
        return new Entered(this, _writers, alone: true);
    }

    private void Leave(int slots, bool alone)
    {
        if (slots > 0)
        {
            _slots.Release(slots);
        }
        if (alone)
        {
            _alone.Release();
        }
    }

    /// <summary>Held while a commit runs; disposing it lets the others in.</summary>
    internal readonly struct Entered(WriterGate gate, int slots, bool alone) : IDisposable
    {
        public void Dispose() => gate.Leave(slots, alone);
    }
}
