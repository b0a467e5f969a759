using Tether.Mutators;
using Tether.Server.Storage;

namespace Tether.Server.Internal.Pipeline;

/// <summary>The transaction as the app's group resolver sees it: a failure of the store surfaces as
/// <see cref="StoreFailureException"/> (503 for the batch), anything the resolver throws itself stays a bug of that
/// one mutation.</summary>
internal sealed class StoreReader(IRecordReader inner) : IRecordReader
{
    public async ValueTask<Record?> GetRecordAsync(string modelName, string id, CancellationToken cancellationToken)
    {
        try
        {
            return await inner.GetRecordAsync(modelName, id, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new StoreFailureException(e);
        }
    }

    public async ValueTask<IReadOnlyList<Record>> ListRecordsAsync(string modelName, string syncGroup, CancellationToken cancellationToken)
    {
        try
        {
            return await inner.ListRecordsAsync(modelName, syncGroup, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new StoreFailureException(e);
        }
    }
}
