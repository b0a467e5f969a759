namespace Tether.Server.Sqlite.Internal;

/// <summary>The writer's gate, held for an app's transaction (<see cref="SqliteWriter.EnterAsync"/>) and released
/// once, however often it is disposed.</summary>
internal sealed class WriterTurn(SemaphoreSlim gate) : IAsyncDisposable
{
    private int _released;

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            gate.Release();
        }

        return ValueTask.CompletedTask;
    }
}
