using Tether.Mutators;

namespace Tether.Server.Storage;

/// <summary>Reads records of one consistent state (a read snapshot or the running write transaction).</summary>
public interface IRecordReader
{
    /// <summary>The record <paramref name="id"/> of <paramref name="modelName"/>, or null when there is none.</summary>
    ValueTask<Record?> GetRecordAsync(string modelName, string id, CancellationToken cancellationToken);

    /// <summary>Every record of <paramref name="modelName"/> that belongs to <paramref name="syncGroup"/>, by id.</summary>
    ValueTask<IReadOnlyList<Record>> ListRecordsAsync(string modelName, string syncGroup, CancellationToken cancellationToken);
}
