using System.Linq.Expressions;
using Tether.Mutators;

namespace Tether.EntityFrameworkCore;

/// <summary>How one <see cref="SyncModel{T}"/> maps to its entity beyond what the model says: the columns that are
/// never synced.</summary>
/// <typeparam name="T">The entity type, which the app's <c>DbContext</c> maps to a table.</typeparam>
public sealed class SyncModelMapping<T> where T : class
{
    private readonly List<string> _ignored = [];

    internal SyncModelMapping()
    {
    }

    internal IReadOnlyList<string> Ignored => _ignored;

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
}
