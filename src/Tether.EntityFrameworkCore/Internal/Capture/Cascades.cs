using System.Collections.Concurrent;
using System.Linq.Expressions;
using System.Reflection;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Tether.EntityFrameworkCore.Internal.Capture;

/// <summary>
/// The rows the database changes by itself when a SaveChanges deletes rows: the dependents of a foreign key declared
/// ON DELETE CASCADE are deleted (and their own dependents in turn), those of one declared ON DELETE SET NULL lose
/// their reference. EF Core changes only the dependents it tracks; the others are found here, before the delete, so
/// that the capture reads them as readers saw them.
/// </summary>
internal sealed class Cascades(Func<Type, bool> isSynced)
{
    private static readonly MethodInfo DependentsOfT = typeof(Cascades).GetMethod(nameof(DependentsAsync), BindingFlags.NonPublic | BindingFlags.Static)!;
    private static readonly MethodInfo CollectionOfT = typeof(Expressions).GetMethod(nameof(Expressions.Collection))!;
    private static readonly MethodInfo ParameterOfT = typeof(Expressions).GetMethod(nameof(Expressions.Parameter))!;

    private readonly ConcurrentDictionary<IEntityType, bool> _reachesSynced = new();

    /// <summary>True when deleting a row of <paramref name="type"/> can make the database change a synced row.</summary>
    public bool ReachSynced(IEntityType type) => _reachesSynced.GetOrAdd(type, t => ReachesSynced(t, []));

    /// <summary>The rows, other than <paramref name="deleted"/>, that the database deletes or changes as it deletes
    /// them, tracked by <paramref name="db"/> (a context in the same transaction), each once.</summary>
    public async Task<List<EntityEntry>> AffectedAsync(DbContext db, IReadOnlyList<EntityEntry> deleted, CancellationToken cancellationToken)
    {
        var affected = new List<EntityEntry>();
        var found = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var followed = new HashSet<object>(ReferenceEqualityComparer.Instance);
        List<EntityEntry> principals = [.. deleted.Where(entry => ReachSynced(entry.Metadata))];
        while (principals.Count > 0)
        {
            var next = new List<EntityEntry>();
            foreach (IGrouping<IForeignKey, EntityEntry> byKey in principals
                .SelectMany(entry => Leading(entry.Metadata).Select(foreignKey => (ForeignKey: foreignKey, Entry: entry)))
                .GroupBy(pair => pair.ForeignKey, pair => pair.Entry))
            {
                IForeignKey foreignKey = byKey.Key;
                object?[][] keys = [.. byKey.Select(entry => foreignKey.PrincipalKey.Properties.Select(property => entry.Property(property).OriginalValue).ToArray())];
                var dependents = (Task<List<EntityEntry>>)DependentsOfT.MakeGenericMethod(foreignKey.DeclaringEntityType.ClrType)
                    .Invoke(null, [db, foreignKey, keys, cancellationToken])!;
                foreach (EntityEntry dependent in await dependents.ConfigureAwait(false))
                {
                    if (found.Add(dependent.Entity))
                    {
                        affected.Add(dependent);
                    }
                    if (foreignKey.DeleteBehavior == DeleteBehavior.Cascade && followed.Add(dependent.Entity))
                    {
                        next.Add(dependent);
                    }
                }
            }
            principals = next;
        }
        return affected;
    }

    /// <summary>The foreign keys to <paramref name="type"/> whose database action reaches a synced row.</summary>
    private IEnumerable<IForeignKey> Leading(IEntityType type)
        => Acting(type).Where(foreignKey => IsSynced(foreignKey.DeclaringEntityType)
            || (foreignKey.DeleteBehavior == DeleteBehavior.Cascade && ReachSynced(foreignKey.DeclaringEntityType)));

    private bool ReachesSynced(IEntityType type, HashSet<IEntityType> visiting)
    {
        if (!visiting.Add(type))
        {
            return false;
        }
        foreach (IForeignKey foreignKey in Acting(type))
        {
            if (IsSynced(foreignKey.DeclaringEntityType)
                || (foreignKey.DeleteBehavior == DeleteBehavior.Cascade && ReachesSynced(foreignKey.DeclaringEntityType, visiting)))
            {
                return true;
            }
        }
        return false;
    }

    private bool IsSynced(IEntityType type) => type.GetDerivedTypesInclusive().Any(derived => isSynced(derived.ClrType));

    /// <summary>The foreign keys to <paramref name="type"/> (or a type it derives from) on which the database itself
    /// acts when a principal row is deleted. An owned type lives in its owner's row; a property bag has no type to
    /// query.</summary>
    private static IEnumerable<IForeignKey> Acting(IEntityType type)
        => type.GetReferencingForeignKeys().Where(foreignKey => foreignKey is { IsOwnership: false, DeleteBehavior: DeleteBehavior.Cascade or DeleteBehavior.SetNull }
            && !foreignKey.DeclaringEntityType.HasSharedClrType);

    /// <summary>The rows of <typeparamref name="T"/> whose foreign key is one of <paramref name="keys"/>, tracked.</summary>
    private static Task<List<EntityEntry>> DependentsAsync<T>(DbContext db, IForeignKey foreignKey, object?[][] keys, CancellationToken cancellationToken)
        where T : class
    {
        ParameterExpression row = Expression.Parameter(typeof(T), "row");
        Expression match;
        if (foreignKey.Properties.Count == 1)
        {
            IProperty property = foreignKey.Properties[0];
            var values = Array.CreateInstance(property.ClrType, keys.Length);
            for (int i = 0; i < keys.Length; i++)
            {
                values.SetValue(keys[i][0], i);
            }
            match = Expression.Call(typeof(Enumerable), nameof(Enumerable.Contains), [property.ClrType], Typed(CollectionOfT, property.ClrType, values), Column(row, property));
        }
        else
        {
            match = keys
                .Select(key => foreignKey.Properties
                    .Select((property, i) => (Expression)Expression.Equal(Column(row, property), Typed(ParameterOfT, property.ClrType, key[i])))
                    .Aggregate(Expression.AndAlso))
                .Aggregate(Expression.OrElse);
        }
        return Track(db, db.Set<T>().AsTracking().Where(Expression.Lambda<Func<T, bool>>(match, row)), cancellationToken);
    }

    private static async Task<List<EntityEntry>> Track<T>(DbContext db, IQueryable<T> rows, CancellationToken cancellationToken) where T : class
        => [.. (await rows.ToListAsync(cancellationToken).ConfigureAwait(false)).Select(row => (EntityEntry)db.Entry(row))];

    /// <summary>A value EF Core sends as a parameter (see <see cref="Expressions"/>), so that deletes of any number of
    /// rows share one query instead of compiling and caching one per set of keys.</summary>
    private static Expression Typed(MethodInfo helper, Type type, object? value)
        => (Expression)helper.MakeGenericMethod(type).Invoke(null, [value])!;

    private static MethodCallExpression Column(ParameterExpression row, IProperty property)
        => Expression.Call(typeof(EF), nameof(EF.Property), [property.ClrType], row, Expression.Constant(property.Name));
}
