using System.Buffers;
using System.Diagnostics;
using System.Linq.Expressions;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata;
using Tether.EntityFrameworkCore.Internal.Capture;
using Tether.Mutators;
using Tether.Server.Internal.Pipeline;
using Tether.Server.Storage;

namespace Tether.EntityFrameworkCore.Internal;

/// <summary>
/// A synced entity <typeparamref name="T"/> whose key is a <typeparamref name="TKey"/>. Reads are no-tracking
/// queries ordered by the key (a get by key is a compiled query); the group rules become a condition the database
/// evaluates. JSON goes through <see cref="Json"/>: the model's contract without the ignored members, refusing fields
/// the entity does not have.
/// </summary>
internal sealed class MappedModel<T, TKey> : MappedModel where T : class where TKey : notnull
{
    /// <summary>The most keys one query by keys sends: EF Core makes a parameter of each (a database takes a few
    /// thousand at most), and a batch may write more rows of a model than that.</summary>
    private const int KeysPerQuery = 500;

    private static readonly MethodInfo KeyIsMarker = new Func<T, TKey, bool>(KeyIs).Method;
    private static readonly MethodInfo KeyInMarker = new Func<T, TKey[], bool>(KeyIn).Method;
    private static readonly MethodInfo ContainsKey = new Func<IEnumerable<TKey>, TKey, bool>(Enumerable.Contains).Method;

    private readonly SyncModel<T> _model;
    private readonly KeyFormat<TKey> _keys;
    private readonly Expression<Func<T, TKey>> _keyOf;
    private readonly Func<T, TKey> _key;
    private readonly GroupFilter<T>[] _filters;
    private readonly IProperty[] _synced;
    private readonly JsonWriterOptions _writerOptions;
    private readonly Func<DbContext, TKey, CancellationToken, Task<T?>> _byKey;
    private readonly Func<DbContext, TKey[], IAsyncEnumerable<T>> _byKeys;
    private readonly Func<DbContext, TKey[], IAsyncEnumerable<T>> _trackedByKeys;
    private readonly Func<T, string?>[] _groupOwners;
    private SqliteJson? _sqliteJson;

    /// <param name="model">The shared model: name, contract, rules.</param>
    /// <param name="json">The served contract (<see cref="Json"/>).</param>
    /// <param name="keys">How the key is an id.</param>
    /// <param name="key">The key's CLR member.</param>
    /// <param name="synced">The columns other than the key that the JSON carries: what a put sets.</param>
    /// <param name="groupOwners">The users whose groups a row decides (<see cref="SyncModelMapping{T}.DecidesSyncGroupsOf"/>).</param>
    public MappedModel(SyncModel<T> model, JsonTypeInfo<T> json, KeyFormat<TKey> keys, MemberInfo key, IReadOnlyList<IProperty> synced, IReadOnlyList<Expression<Func<T, string?>>> groupOwners)
        : base(model.Name, typeof(T))
    {
        _model = model;
        Json = json;
        _keys = keys;
        ParameterExpression row = Expression.Parameter(typeof(T), "row");
        _keyOf = Expression.Lambda<Func<T, TKey>>(Expression.MakeMemberAccess(row, key), row);
        _key = _keyOf.Compile();
        _filters = [.. model.GroupRules.Select(GroupFilter<T>.For)];
        _synced = [.. synced];
        _groupOwners = [.. groupOwners.Select(owner => owner.Compile())];
        GroupOwnerRules = groupOwners;
        JsonSerializerOptions options = json.Options;
        _writerOptions = new JsonWriterOptions
        {
            Encoder = options.Encoder,
            Indented = options.WriteIndented,
            IndentCharacter = options.IndentCharacter,
            IndentSize = options.IndentSize,
            NewLine = options.NewLine,
            MaxDepth = options.MaxDepth,
        };
        Expression<Func<DbContext, TKey, CancellationToken, T?>> byKey = (db, id, cancellationToken) => db.Set<T>().AsNoTracking().FirstOrDefault(r => KeyIs(r, id));
        var rewriter = new KeyRewriter(_keyOf);
        _byKey = EF.CompileAsyncQuery((Expression<Func<DbContext, TKey, CancellationToken, T?>>)rewriter.Visit(byKey));
        Expression<Func<DbContext, TKey[], IQueryable<T>>> byKeys = (db, ids) => db.Set<T>().AsNoTracking().Where(r => KeyIn(r, ids));
        _byKeys = EF.CompileAsyncQuery((Expression<Func<DbContext, TKey[], IQueryable<T>>>)rewriter.Visit(byKeys));
        Expression<Func<DbContext, TKey[], IQueryable<T>>> trackedByKeys = (db, ids) => db.Set<T>().AsTracking().Where(r => KeyIn(r, ids));
        _trackedByKeys = EF.CompileAsyncQuery((Expression<Func<DbContext, TKey[], IQueryable<T>>>)rewriter.Visit(trackedByKeys));
    }

    /// <summary>The JSON of the model's records: its contract without the ignored members, which refuses a field
    /// the entity does not have.</summary>
    public JsonTypeInfo<T> Json { get; }

    public override IReadOnlyList<IProperty> Synced => _synced;

    public override IReadOnlyList<LambdaExpression> GroupOwnerRules { get; }

    public override AppRecordShape Shape(string id, JsonObject data)
    {
        T entity;
        try
        {
            entity = data.Deserialize(Json) ?? throw new JsonException();
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException or FormatException)
        {
            string where = e is JsonException { Path: { Length: > 1 } path } ? $" at {path}" : "";
            throw MutationRejectedException.InvalidArgs($"The {Name} '{id}' does not fit its model{where}.");
        }
        if (IdOf(entity) != id)
        {
            throw MutationRejectedException.InvalidArgs($"'{id}' is not an id of a {Name}.");
        }
        return new AppRecordShape(JsonSerializer.Serialize(entity, Json), GroupsOf(entity));
    }

    public override async Task<Record?> GetAsync(DbContext db, string id, CancellationToken cancellationToken)
    {
        if (!_keys.TryParse(id, out TKey key))
        {
            return null;
        }
        T? row = await _byKey(db, key, cancellationToken).ConfigureAwait(false);
        return row is null ? null : ToRecord(row);
    }

    public override async Task<IReadOnlyList<Record>> ListAsync(DbContext db, string syncGroup, CancellationToken cancellationToken)
    {
        if (InGroups(db, [syncGroup]) is not { } rows)
        {
            return [];
        }
        var records = new List<Record>();
        await foreach (T row in rows.OrderBy(_keyOf).AsAsyncEnumerable().WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            records.Add(ToRecord(row));
        }
        return records;
    }

    public override IStoredRecordCursor ReadRecords(DbContext db, IReadOnlyCollection<string> syncGroups)
        => SqliteJsonOf(db) is { } query
            ? query.ReadRecords(db, syncGroups, (id, cancellationToken) => FindAsync(db, id, cancellationToken))
            : new Cursor(this, db, syncGroups);

    public override async IAsyncEnumerable<StoredRecord> ReadRecordsAfterAsync(DbContext db, string syncGroup, string afterId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (InGroups(db, [syncGroup]) is not { } rows)
        {
            yield break;
        }
        if (_keys.TryParse(afterId, out TKey after))
        {
            ParameterExpression row = _keyOf.Parameters[0];
            rows = rows.Where(Expression.Lambda<Func<T, bool>>(_keys.After(_keyOf.Body, Expressions.Parameter(after)), row));
        }
        else if (afterId.Length > 0)
        {
            throw new ArgumentException($"'{afterId}' is not an id of a {Name}.", nameof(afterId));
        }
        await foreach (T row in rows.OrderBy(_keyOf).AsAsyncEnumerable().WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            yield return new StoredRecord(Name, IdOf(row), JsonSerializer.Serialize(row, Json));
        }
    }

    public override async Task StageAsync(DbContext db, IReadOnlyList<RecordWrite> records, IReadOnlySet<string> absent, CancellationToken cancellationToken)
    {
        var keys = new TKey[records.Count];
        var lookup = new List<TKey>(records.Count);
        for (int i = 0; i < records.Count; i++)
        {
            keys[i] = _keys.TryParse(records[i].Id, out TKey key) ? key : throw new ArgumentException($"'{records[i].Id}' is not an id of a {Name}.", nameof(records));
            if (!absent.Contains(records[i].Id))
            {
                lookup.Add(key);
            }
        }
        var existing = new Dictionary<TKey, T>(lookup.Count);
        foreach (TKey[] chunk in lookup.Chunk(KeysPerQuery))
        {
            await foreach (T row in _trackedByKeys(db, chunk).WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                existing[_key(row)] = row;
            }
        }
        for (int i = 0; i < records.Count; i++)
        {
            RecordWrite record = records[i];
            existing.TryGetValue(keys[i], out T? current);
            if (record.IsDelete)
            {
                if (current is not null)
                {
                    db.Remove(current);
                }
                continue;
            }
            T entity = JsonSerializer.Deserialize(record.Data!, Json) ?? throw new ArgumentException($"The {Name} '{record.Id}' is not a JSON object.", nameof(records));
            if (IdOf(entity) != record.Id)
            {
                throw new ArgumentException($"The {Name} '{record.Id}' carries the id '{IdOf(entity)}'.", nameof(records));
            }
            if (current is null)
            {
                db.Add(entity);
                continue;
            }
            // Only the synced columns: the ignored ones keep what the app wrote.
            EntityEntry<T> entry = db.Entry(current);
            foreach (IProperty property in _synced)
            {
                entry.Property(property).CurrentValue = property.GetGetter().GetClrValue(entity);
            }
        }
    }

    public override async Task<Dictionary<string, RowImage>> ReadRowsAsync(DbContext context, IReadOnlyCollection<string> ids, CancellationToken cancellationToken)
    {
        var keys = new List<TKey>(ids.Count);
        foreach (string id in ids)
        {
            if (_keys.TryParse(id, out TKey key))
            {
                keys.Add(key);
            }
        }
        var rows = new Dictionary<string, RowImage>(StringComparer.Ordinal);
        if (keys.Count == 0)
        {
            return rows;
        }
        foreach (TKey[] chunk in keys.Chunk(KeysPerQuery))
        {
            await foreach (T row in _byKeys(context, chunk).WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                rows[IdOf(row)] = RowOf(row);
            }
        }
        return rows;
    }

    public override string IdOf(object entity) => IdOf((T)entity);

    /// <summary>The query that serves this model's records from SQLite's values, or null when the database is
    /// not SQLite or the JSON is not plain; decided once, from the first context's model and options (every context
    /// Tether makes has the app's).</summary>
    private SqliteJsonQuery<T>? SqliteJsonOf(DbContext db)
        => (_sqliteJson ??= new SqliteJson(SqliteJsonQuery<T>.For(db, _model, Json, _filters))).Query;

    private Task<T?> FindAsync(DbContext db, string id, CancellationToken cancellationToken)
        => _keys.TryParse(id, out TKey key) ? _byKey(db, key, cancellationToken) : Task.FromResult<T?>(null);

    public override RowImage RowOf(object entity)
    {
        var row = (T)entity;
        return new RowImage(JsonSerializer.Serialize(row, Json), GroupsOf(row), GroupOwnersOf(row));
    }

    public override string IdOfKey(object key) => _keys.Format((TKey)key);

    private string IdOf(T row) => _keys.Format(_key(row));

    private string[] GroupsOf(T row)
    {
        string[] groups = [.. _model.GroupsOf(row)];
        Array.Sort(groups, Utf8Order.Compare);
        return groups;
    }

    private string[] GroupOwnersOf(T row)
    {
        if (_groupOwners.Length == 0)
        {
            return [];
        }
        return [.. _groupOwners.Select(owner => owner(row)).OfType<string>().Distinct(StringComparer.Ordinal)];
    }

    private Record ToRecord(T row) => new(Name, IdOf(row), JsonSerializer.SerializeToNode(row, Json)!.AsObject(), GroupsOf(row));

    /// <summary>The rows in any of <paramref name="groups"/> by the rules, unordered; null when no row can be.</summary>
    private IQueryable<T>? InGroups(DbContext db, IReadOnlyCollection<string> groups)
    {
        ParameterExpression row = _keyOf.Parameters[0];
        Expression? condition = null;
        foreach (GroupFilter<T> filter in _filters)
        {
            switch (filter.Match(row, groups))
            {
                case null:
                    continue;
                case ConstantExpression { Value: true }:
                    return db.Set<T>().AsNoTracking();
                case { } match:
                    condition = condition is null ? match : Expression.OrElse(condition, match);
                    break;
            }
        }
        return condition is null ? null : db.Set<T>().AsNoTracking().Where(Expression.Lambda<Func<T, bool>>(condition, row));
    }

    /// <summary>Stands for "the row's key equals the id" in the compiled queries' templates, where the key's member
    /// is not known to C#; <see cref="KeyRewriter"/> replaces it.</summary>
    private static bool KeyIs(T row, TKey key) => throw new UnreachableException();

    /// <summary>Stands for "the row's key is one of the ids", as <see cref="KeyIs"/> does.</summary>
    private static bool KeyIn(T row, TKey[] keys) => throw new UnreachableException();

    private sealed class KeyRewriter(Expression<Func<T, TKey>> keyOf) : ExpressionVisitor
    {
        protected override Expression VisitMethodCall(MethodCallExpression node)
        {
            if (node.Method == KeyIsMarker)
            {
                return Expression.Equal(Expressions.Inline(keyOf, Visit(node.Arguments[0])), Visit(node.Arguments[1]));
            }
            if (node.Method == KeyInMarker)
            {
                return Expression.Call(ContainsKey, Visit(node.Arguments[1]), Expressions.Inline(keyOf, Visit(node.Arguments[0])));
            }
            return base.VisitMethodCall(node);
        }
    }

    /// <summary>Whether the model is read with <see cref="SqliteJsonQuery{T}"/>, once decided.</summary>
    private sealed record SqliteJson(SqliteJsonQuery<T>? Query);

    /// <summary>Streams the rows of a <see cref="ReadRecords"/>, each written into reused buffers: the id's UTF-8
    /// and the row's JSON with the served contract.</summary>
    private sealed class Cursor(MappedModel<T, TKey> model, DbContext db, IReadOnlyCollection<string> groups) : IStoredRecordCursor
    {
        private readonly ArrayBufferWriter<byte> _data = new(1024);
        private IAsyncEnumerator<T>? _rows;
        private Utf8JsonWriter? _writer;
        private byte[] _id = new byte[64];
        private int _idLength;
        private bool _done;
        private bool _onRow;

        public string ModelName => _onRow ? model.Name : throw NotOnRow();

        public ReadOnlySpan<byte> Id => _onRow ? _id.AsSpan(0, _idLength) : throw NotOnRow();

        public ReadOnlySpan<byte> Data => _onRow ? _data.WrittenSpan : throw NotOnRow();

        public async ValueTask<bool> ReadAsync(CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            _onRow = false;
            if (_done)
            {
                return false;
            }
            if (_rows is null)
            {
                if (model.InGroups(db, groups) is not { } rows)
                {
                    _done = true;
                    return false;
                }
                _rows = rows.OrderBy(model._keyOf).AsAsyncEnumerable().GetAsyncEnumerator(cancellationToken);
            }
            if (!await _rows.MoveNextAsync().ConfigureAwait(false))
            {
                _done = true;
                return false;
            }
            T row = _rows.Current;
            _data.ResetWrittenCount();
            if (_writer is null)
            {
                _writer = new Utf8JsonWriter(_data, model._writerOptions);
            }
            else
            {
                _writer.Reset(_data);
            }
            JsonSerializer.Serialize(_writer, row, model.Json);
            string id = model.IdOf(row);
            int length = Encoding.UTF8.GetMaxByteCount(id.Length);
            if (_id.Length < length)
            {
                _id = new byte[Math.Max(length, _id.Length * 2)];
            }
            _idLength = Encoding.UTF8.GetBytes(id, _id);
            _onRow = true;
            return true;
        }

        public async ValueTask DisposeAsync()
        {
            _done = true;
            _onRow = false;
            if (_rows is not null)
            {
                await _rows.DisposeAsync().ConfigureAwait(false);
            }
            if (_writer is not null)
            {
                await _writer.DisposeAsync().ConfigureAwait(false);
            }
        }

        private static InvalidOperationException NotOnRow() => new("The cursor is not on a record: call ReadAsync first.");
    }
}
