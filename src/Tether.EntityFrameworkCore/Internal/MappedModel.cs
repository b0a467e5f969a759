using System.Linq.Expressions;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Tether.EntityFrameworkCore.Internal.Capture;
using Tether.Mutators;
using Tether.Server.Storage;

namespace Tether.EntityFrameworkCore.Internal;

/// <summary>
/// A synced entity, checked against the app's EF model: every read and write of its records as queries and changes
/// of a <see cref="DbContext"/> that runs on a store's connection and transaction (see <see cref="TetherContexts{TDb}"/>).
/// </summary>
internal abstract class MappedModel(string name, Type entityType) : ICapturedModel
{
    /// <summary>The model's name, as records and sync actions carry it.</summary>
    public string Name { get; } = name;

    /// <summary>The entity's CLR type.</summary>
    public Type EntityType { get; } = entityType;

    /// <summary>The columns the record's JSON carries besides the key.</summary>
    public abstract IReadOnlyList<IProperty> Synced { get; }

    /// <summary>The rules that read the users whose groups a row decides
    /// (<see cref="SyncModelMapping{T}.DecidesSyncGroupsOf"/>), as the app wrote them.</summary>
    public abstract IReadOnlyList<LambdaExpression> GroupOwnerRules { get; }

    /// <summary>The record as its row will hold it (see <see cref="IAppRecordModels.Shape"/>).</summary>
    public abstract AppRecordShape Shape(string id, JsonObject data);

    public abstract Task<Record?> GetAsync(DbContext db, string id, CancellationToken cancellationToken);

    /// <summary>The records in <paramref name="syncGroup"/>, by key.</summary>
    public abstract Task<IReadOnlyList<Record>> ListAsync(DbContext db, string syncGroup, CancellationToken cancellationToken);

    /// <summary>The rows in any of <paramref name="syncGroups"/>, each once, by key, filtered in the database.</summary>
    public abstract IStoredRecordCursor ReadRecords(DbContext db, IReadOnlyCollection<string> syncGroups);

    /// <summary>The rows in <paramref name="syncGroup"/> whose key is after <paramref name="afterId"/>'s, by key.</summary>
    public abstract IAsyncEnumerable<StoredRecord> ReadRecordsAfterAsync(DbContext db, string syncGroup, string afterId, CancellationToken cancellationToken);

    /// <summary>Adds the records' new states to <paramref name="db"/>'s change tracker (a put inserts the row or sets
    /// its synced columns, a delete removes it), for the caller's one <c>SaveChanges</c>.</summary>
    /// <paramref name="absent"/> names the ids this transaction already read as absent: no row to look up.
    public abstract Task StageAsync(DbContext db, IReadOnlyList<RecordWrite> records, IReadOnlySet<string> absent, CancellationToken cancellationToken);

    /// <summary>The rows of <paramref name="ids"/> that exist, by id, as <paramref name="context"/>'s connection and
    /// transaction see them; an id that names no row is absent.</summary>
    public abstract Task<Dictionary<string, RowImage>> ReadRowsAsync(DbContext context, IReadOnlyCollection<string> ids, CancellationToken cancellationToken);

    /// <summary>The record id of an entity object of this model.</summary>
    public abstract string IdOf(object entity);

    /// <summary>An entity object of this model as its row serves it, with the users whose groups it decides.</summary>
    public abstract RowImage RowOf(object entity);

    /// <summary>The record id of a key value of this model's entity.</summary>
    public abstract string IdOfKey(object key);
}
