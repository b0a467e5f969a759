using Tether.Mutators;

namespace Tether.Server.Storage;

/// <summary>
/// A forward-only read of stored records (the fields of <see cref="StoredRecord"/>) that hands out each record's id
/// and JSON text as the store's own UTF-8 bytes, so that a stream of many records is copied through without decoding
/// or an allocation per record. The spans belong to the cursor and are valid until the next <see cref="ReadAsync"/>.
/// </summary>
public interface IStoredRecordCursor : IAsyncDisposable
{
    /// <summary>Moves to the next record; false once there are no more.</summary>
    ValueTask<bool> ReadAsync(CancellationToken cancellationToken);

    /// <summary>The current record's model.</summary>
    string ModelName { get; }

    /// <summary>The current record's id, as UTF-8.</summary>
    ReadOnlySpan<byte> Id { get; }

    /// <summary>The current record's JSON object, as UTF-8 text.</summary>
    ReadOnlySpan<byte> Data { get; }
}
