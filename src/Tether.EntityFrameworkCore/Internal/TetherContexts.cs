using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Tether.EntityFrameworkCore.Internal;

/// <summary>
/// Makes the instances of the app's <typeparamref name="TDb"/> that Tether itself uses, with the app's own options
/// (provider, model, interceptors), from a scope of Tether's that lives as long as the store: never a request's
/// context nor one from a pool. <see cref="Open"/> puts one on a store's connection and transaction.
/// </summary>
internal sealed class TetherContexts<TDb> : IDisposable where TDb : DbContext
{
    private static readonly ObjectFactory<TDb> Factory = ActivatorUtilities.CreateFactory<TDb>([]);
    private readonly IServiceScope _scope;

    public TetherContexts(IServiceScopeFactory scopes) => _scope = scopes.CreateScope();

    /// <summary>A context on the app's own connection settings (to read its provider, connection string and model).</summary>
    public TDb Create()
    {
        TDb db = Factory(_scope.ServiceProvider, null);
        TetherOwnedContexts.Add(db);
        return db;
    }

    /// <summary>A context whose commands run on <paramref name="connection"/>, inside the store's transaction: the
    /// ADO.NET one when there is one (PostgreSQL), else the one SQL began on the connection (SQLite's
    /// <c>BEGIN IMMEDIATE</c>, which EF Core must not try to begin or save points in). Nothing is tracked unless a
    /// query asks for it, and changes are tracked only as they are made.</summary>
    public TDb Open(DbConnection connection, DbTransaction? transaction)
    {
        TDb db = Create();
        db.Database.SetDbConnection(connection, contextOwnsConnection: false);
        db.Database.AutoTransactionBehavior = AutoTransactionBehavior.Never;
        db.Database.AutoSavepointsEnabled = false;
        if (transaction is not null)
        {
            db.Database.UseTransaction(transaction);
        }
        db.ChangeTracker.QueryTrackingBehavior = QueryTrackingBehavior.NoTracking;
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        return db;
    }

    public void Dispose() => _scope.Dispose();
}

/// <summary>The contexts Tether made for itself. Whatever watches the app's contexts (the capture of its
/// <c>SaveChanges</c>) leaves these alone: Tether writes its own sync actions for what they change.</summary>
internal static class TetherOwnedContexts
{
    private static readonly ConditionalWeakTable<DbContext, object> Owned = [];

    public static void Add(DbContext db) => Owned.AddOrUpdate(db, Owned);

    public static bool Contains(DbContext db) => Owned.TryGetValue(db, out _);
}
