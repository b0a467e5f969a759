using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Tether.Server.Storage;

namespace Tether.EntityFrameworkCore.Internal.Capture;

/// <summary>A synced entity type as the capture sees it: how to name its rows and read them as their readers see them.</summary>
internal interface ICapturedModel
{
    string Name { get; }

    /// <summary>The record id of a tracked entity (its key, as text).</summary>
    string IdOf(object entity);

    /// <summary>The rows of <paramref name="ids"/> as they are in <paramref name="context"/>'s transaction, by id;
    /// an id with no row is absent.</summary>
    Task<Dictionary<string, RowImage>> ReadRowsAsync(DbContext context, IReadOnlyCollection<string> ids, CancellationToken cancellationToken);

    /// <summary>The user whose sync groups this row decides (a membership row), or null.</summary>
    string? GroupsOwnerOf(RowImage row);
}

/// <summary>The synced entity types of one DbContext type, and the contexts Tether opens on its own.</summary>
internal interface ICapturedModels
{
    ICapturedModel? Find(Type entityType);

    /// <summary>True for a context Tether opened itself (its writes are already in the log, its reads are the capture's).</summary>
    bool IsTetherOwned(DbContext context);

    /// <summary>A Tether-owned context on the app's connection, inside its transaction.</summary>
    DbContext Open(DbConnection connection, DbTransaction transaction);
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
