using System.Linq.Expressions;
using Tether.Mutators;

namespace Tether.EntityFrameworkCore;

/// <summary>How one <see cref="SyncModel{T}"/> maps to its entity beyond what the model says: the columns that are
/// never synced, and whose sync groups its rows decide.</summary>
/// <typeparam name="T">The entity type, which the app's <c>DbContext</c> maps to a table.</typeparam>
public sealed class SyncModelMapping<T> where T : class
{
    private readonly List<string> _ignored = [];
    private readonly List<Expression<Func<T, string?>>> _groupOwners = [];

    internal SyncModelMapping()
    {
    }

    internal IReadOnlyList<string> Ignored => _ignored;

    internal IReadOnlyList<Expression<Func<T, string?>>> GroupOwners => _groupOwners;

    /// <summary>Never syncs <paramref name="member"/> (<c>i =&gt; i.InternalNotes</c>): it is not in the JSON clients
    /// receive, a mutator's write that names it is refused (<c>invalid_args</c>), and an update through a mutator
    /// leaves the column as it is. A row a mutator inserts gets the value the entity's constructor gives it.</summary>
    public SyncModelMapping<T> Ignore<TValue>(Expression<Func<T, TValue>> member)
    {
        ArgumentNullException.ThrowIfNull(member);
        string name = JsonMembers.MemberName(member);
        if (!_ignored.Contains(name, StringComparer.Ordinal))
        {
            _ignored.Add(name);
        }
        return this;
    }

    /// <summary>Says that a row of this entity decides the sync groups of the user <paramref name="user"/> reads
    /// from it (<c>m =&gt; m.UserId</c> on a team membership that the app's <c>ISyncGroupResolver</c> reads): when a
    /// <c>SaveChanges</c> of the app inserts, updates or deletes such a row, the live connections of its user (before
    /// and after the change) resolve their groups again before they receive anything of the same transaction, so a
    /// new member gets the team's changes without reconnecting. A row whose user is null decides nobody's groups.
    /// Call it once for each user a row decides. A mutator that changes memberships still says so itself
    /// (<c>IMutationContext.SyncGroupsChanged</c>).</summary>
    public SyncModelMapping<T> DecidesSyncGroupsOf(Expression<Func<T, string?>> user)
    {
        ArgumentNullException.ThrowIfNull(user);
        _groupOwners.Add(user);
        return this;
    }
}
