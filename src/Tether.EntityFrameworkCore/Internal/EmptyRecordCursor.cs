using Tether.Server.Storage;

namespace Tether.EntityFrameworkCore.Internal;

/// <summary>A cursor of no records.</summary>
internal sealed class EmptyRecordCursor : IStoredRecordCursor
{
    public static readonly EmptyRecordCursor Instance = new();

    public string ModelName => throw NotOnRow();

    public ReadOnlySpan<byte> Id => throw NotOnRow();

    public ReadOnlySpan<byte> Data => throw NotOnRow();

    public ValueTask<bool> ReadAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(false);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static InvalidOperationException NotOnRow() => new("The cursor is not on a record: call ReadAsync first.");
}
