using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Tether.Server.Storage;

namespace Tether.EntityFrameworkCore.Internal.Capture;

/// <summary>A synced entity type as the capture sees it: how to name its rows and read them as their readers see them.</summary>
internal interface ICapturedModel
{
    string Name { get; }

    /// <summary>The record id of a key value of the entity.</summary>
    string IdOfKey(object key);

    /// <summary>The rows of <paramref name="ids"/> as they are in <paramref name="context"/>'s transaction, by id;
    /// an id with no row is absent.</summary>
    Task<Dictionary<string, RowImage>> ReadRowsAsync(DbContext context, IReadOnlyCollection<string> ids, CancellationToken cancellationToken);
}

internal static class CapturedModelExtensions
{
    /// <summary>The record id of an entry, read through the entry: a key the database generated stays off the entity
    /// object until its SaveChanges completes.</summary>
    public static string IdOf(this ICapturedModel model, EntityEntry entry)
        => model.IdOfKey(entry.Property(entry.Metadata.FindPrimaryKey()!.Properties[0]).CurrentValue!);
}

/// <summary>The synced entity types of one DbContext type, and the contexts Tether opens on its own.</summary>
internal interface ICapturedModels
{
    /// <summary>True when the entity type is synced, as the app registered it (known before the mapping is checked
    /// against the app's model, which happens as the store initializes).</summary>
    bool IsSynced(Type entityType);

    /// <summary>The synced model of an entity type, once the store is initialized.</summary>
    ICapturedModel? Find(Type entityType);

    /// <summary>True for a context Tether opened itself (its writes are already in the log, its reads are the capture's).</summary>
    bool IsTetherOwned(DbContext context);

    /// <summary>A Tether-owned context on the app's connection, inside its transaction, given back when disposed.</summary>
    OwnedContext Open(DbConnection connection, DbTransaction transaction);
}

/// <summary>The store whose log the capture appends to.</summary>
internal interface ICaptureStore
{
    /// <summary>True once Tether's tables are ready; before that no Tether writer runs in this process.</summary>
    bool IsInitialized { get; }

    /// <summary>Makes Tether's tables ready (once; at once when they are).</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    ITetherLogAppender Appender { get; }
}

/// <summary>A Tether-owned context of <see cref="ICapturedModels.Open"/>; disposing it gives the context back.</summary>
internal readonly struct OwnedContext(DbContext db, Action<DbContext> giveBack) : IDisposable
{
    public DbContext Db => db;

    public void Dispose() => giveBack(db);
}
