using System.Collections.Concurrent;
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
    /// <summary>The most contexts kept for reuse: about as many as write transactions run at once.</summary>
    private const int Kept = 4;

    private readonly IServiceScope _scope;
    private readonly ConcurrentBag<TDb> _reusable = [];

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
    /// query asks for it, and changes are tracked only as they are made. It is one given back by
    /// <see cref="Return"/> when there is one: a new context resolves EF Core's services at its first use, which a
    /// write transaction should not pay each time.</summary>
    public TDb Open(DbConnection connection, DbTransaction? transaction)
    {
        if (!_reusable.TryTake(out TDb? db))
        {
            db = Create();
            db.Database.AutoTransactionBehavior = AutoTransactionBehavior.Never;
            db.Database.AutoSavepointsEnabled = false;
            db.ChangeTracker.QueryTrackingBehavior = QueryTrackingBehavior.NoTracking;
            db.ChangeTracker.AutoDetectChangesEnabled = false;
        }
        db.Database.SetDbConnection(connection, contextOwnsConnection: false);
        if (transaction is not null)
        {
            db.Database.UseTransaction(transaction);
        }
        return db;
    }

    /// <summary>Gives back a context of <see cref="Open"/> once its transaction is over; the caller no longer uses it.</summary>
    public void Return(TDb db)
    {
        if (db.Database.CurrentTransaction is not null)
        {
            db.Database.UseTransaction(null);
        }
        db.ChangeTracker.Clear();
        if (_reusable.Count < Kept)
        {
            _reusable.Add(db);
        }
        else
        {
            db.Dispose();
        }
    }

    public void Dispose()
    {
        while (_reusable.TryTake(out TDb? db))
        {
            db.Dispose();
        }
        _scope.Dispose();
    }
}

/// <summary>The contexts Tether made for itself. Whatever watches the app's contexts (the capture of its
/// <c>SaveChanges</c>) leaves these alone: Tether writes its own sync actions for what they change.</summary>
internal static class TetherOwnedContexts
{
    private static readonly ConditionalWeakTable<DbContext, object> Owned = [];

    public static void Add(DbContext db) => Owned.AddOrUpdate(db, Owned);

    public static bool Contains(DbContext db) => Owned.TryGetValue(db, out _);
}
