using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Tether.Mutators;
using Tether.Server.Storage;

namespace Tether.EntityFrameworkCore.Internal;

/// <summary>
/// The records of a mapped model on SQLite as one query of its columns as stored, whose JSON
/// <see cref="SqliteJsonCursor{T}"/> writes straight from SQLite's values, for a model whose served JSON is "plain":
/// each property is one column read as stored, of a type whose stored text or number is the JSON value
/// System.Text.Json writes for what EF Core reads. A row whose values are stored in another form (by SQL other than
/// EF Core's) is served as EF Core and System.Text.Json serve it.
/// </summary>
internal sealed class SqliteJsonQuery<T> where T : class
{
    private const string SqliteProvider = "Microsoft.EntityFrameworkCore.Sqlite";

    private readonly string _modelName;
    private readonly JsonTypeInfo<T> _json;
    private readonly string _select;
    private readonly string _orderBy;
    private readonly GroupFilter<T>[] _filters;
    private readonly string[] _ruleColumns;
    private readonly SqliteJsonProperty[] _properties;

    private SqliteJsonQuery(string modelName, JsonTypeInfo<T> json, string select, string orderBy, GroupFilter<T>[] filters, string[] ruleColumns, SqliteJsonProperty[] properties)
    {
        _modelName = modelName;
        _json = json;
        _select = select;
        _orderBy = orderBy;
        _filters = filters;
        _ruleColumns = ruleColumns;
        _properties = properties;
    }

    /// <summary>The query of <paramref name="json"/>'s records from <paramref name="db"/>'s table, or null when the
    /// provider is not SQLite or the JSON is not plain.</summary>
    public static SqliteJsonQuery<T>? For(DbContext db, SyncModel<T> model, JsonTypeInfo<T> json, GroupFilter<T>[] filters)
    {
        if (db.Database.ProviderName != SqliteProvider || !IsPlain(json) || !ReadsRowsAsStored(db))
        {
            return null;
        }
        IEntityType? entity = db.Model.FindEntityType(typeof(T));
        if (entity?.FindPrimaryKey() is not { Properties: [IProperty key] } || !IsTableOfItsOwn(db.Model, entity) || entity.GetTableName() is not { } table)
        {
            return null;
        }
        var store = StoreObjectIdentifier.Table(table, null);
        var columns = new List<string>();
        var properties = new List<SqliteJsonProperty>();
        string? id = null;
        foreach (JsonPropertyInfo property in json.Properties)
        {
            if (property.Get is null)
            {
                continue;
            }
            if (Column(property, entity, store) is not { } column)
            {
                return null;
            }
            JsonNumberHandling handling = property.NumberHandling ?? json.NumberHandling ?? json.Options.NumberHandling;
            bool isKey = column.Property == key;
            if (Value(column, asString: (handling & JsonNumberHandling.WriteAsString) != 0, isKey) is not { } value)
            {
                return null;
            }
            columns.Add(column.Name);
            properties.Add(value with { Name = JsonEncodedText.Encode(property.Name, json.Options.Encoder) });
            if (isKey)
            {
                id = column.Name;
            }
        }
        if (id is null || !RuleColumns(model, entity, store, out string[] ruleColumns))
        {
            return null;
        }
        string select = $"SELECT {id}, {string.Join(", ", columns)} FROM {Identifier(table)}";
        return new SqliteJsonQuery<T>(model.Name, json, select, $" ORDER BY {id}", filters, ruleColumns, [.. properties]);
    }

    /// <summary>The rows in any of <paramref name="groups"/>, by key, as <paramref name="db"/>'s connection and
    /// transaction see them; a row whose values the cursor cannot serve as stored is read back with
    /// <paramref name="find"/>.</summary>
    public IStoredRecordCursor ReadRecords(DbContext db, IReadOnlyCollection<string> groups, Func<string, CancellationToken, Task<T?>> find)
    {
        var conditions = new List<string>();
        var parameters = new List<string>();
        for (int i = 0; i < _filters.Length; i++)
        {
            switch (_filters[i].Rows(groups))
            {
                case null:
                    continue;
                case { IsAll: true }:
                    return Cursor(_select + _orderBy, []);
                case { Values: var values }:
                    parameters.Add(JsonArray(values));
                    conditions.Add($"{_ruleColumns[i]} IN (SELECT value FROM json_each(?{parameters.Count}))");
                    break;
            }
        }
        return conditions.Count == 0
            ? new SequenceCursor([])
            : Cursor($"{_select} WHERE {string.Join(" OR ", conditions)}{_orderBy}", [.. parameters]);

        SqliteJsonCursor<T> Cursor(string sql, string[] texts)
            => new((SqliteConnection)db.Database.GetDbConnection(), sql, texts, _properties, _modelName, _json, find);
    }

    /// <summary>Whether the contract writes what its properties hold, each once, with nothing added, dropped or
    /// converted by the app (a converter, a callback, polymorphism, reference metadata, an ignore condition).</summary>
    private static bool IsPlain(JsonTypeInfo<T> json)
    {
        JsonSerializerOptions options = json.Options;
        return json.Kind == JsonTypeInfoKind.Object
            && json.PolymorphismOptions is null
            && json.OnSerializing is null
            && json.OnSerialized is null
            && IsBuiltIn(json.Converter)
            && !options.WriteIndented
            && options.DefaultIgnoreCondition == JsonIgnoreCondition.Never
            && !options.IgnoreReadOnlyProperties
            && !options.IgnoreReadOnlyFields
            && options.ReferenceHandler is null;
    }

    /// <summary>Whether EF Core gives the app's entity what the table holds, as SQL written here reads it: no
    /// interceptor that rewrites queries or commands, or makes or changes materialized entities (those are the
    /// singleton interceptors of the context's options).</summary>
    private static bool ReadsRowsAsStored(DbContext db)
    {
        IInterceptors interceptors = db.GetService<IInterceptors>();
        CoreOptionsExtension? options = db.GetService<IDbContextOptions>().FindExtension<CoreOptionsExtension>();
        return interceptors.Aggregate<IQueryExpressionInterceptor>() is null
            && interceptors.Aggregate<IDbCommandInterceptor>() is null
            && options?.SingletonInterceptors?.Any() != true
            && options?.Interceptors?.Any(interceptor => interceptor is ISingletonInterceptor) != true;
    }

    /// <summary>Whether every row of the entity's table is one of its entities, read with no condition and made with
    /// no constructor arguments: no hierarchy, query filter, view, SQL query, shared table or schema.</summary>
    private static bool IsTableOfItsOwn(IModel model, IEntityType entity)
    {
        string? table = entity.GetTableName();
        return table is not null
            && entity.GetSchema() is null
            && entity.BaseType is null
            && !entity.GetDirectlyDerivedTypes().Any()
            && !entity.GetDeclaredQueryFilters().Any()
            && entity.GetViewName() is null
            && entity.GetSqlQuery() is null
            && entity.GetFunctionName() is null
            && entity.ConstructorBinding is not { ParameterBindings.Count: > 0 }
            && model.GetEntityTypes().Count(other => other.GetTableName() == table) == 1;
    }

    /// <summary>The column of a plain JSON property: one EF Core scalar property with no converter on either side,
    /// whose member's value is what EF Core set from the column (an auto-property or a field).</summary>
    private static PlainColumn? Column(JsonPropertyInfo property, IEntityType entity, StoreObjectIdentifier store)
    {
        if (property.ShouldSerialize is not null || property.IsExtensionData || property.CustomConverter is not null)
        {
            return null;
        }
        Type type = property.PropertyType;
        Type value = Nullable.GetUnderlyingType(type) ?? type;
        JsonSerializerOptions options = property.Options;
        if (options.Converters.Any(converter => converter.CanConvert(type) || converter.CanConvert(value)) || !HasBuiltInConverter(options, type))
        {
            return null;
        }
        if (ModelDefinition<T>.MemberOf(property) is not { } member || entity.FindProperty(member) is not { } column
            || column.ClrType != type || column.GetValueConverter() is not null || column.GetTypeMapping().Converter is not null
            || !HoldsWhatEfSets(column) || column.GetColumnName(store) is not { } name)
        {
            return null;
        }
        return new PlainColumn(column, Identifier(name), value, column.IsNullable);
    }

    /// <summary>Whether the member's value is the one EF Core set from the column: a field, or a property whose
    /// accessors the compiler wrote and whose field, if EF Core uses one, is its own backing field.</summary>
    private static bool HoldsWhatEfSets(IProperty column)
    {
        if (column.PropertyInfo is not { } property)
        {
            return column.FieldInfo is not null;
        }
        return IsGenerated(property.GetMethod)
            && (property.SetMethod is null || IsGenerated(property.SetMethod))
            && (column.FieldInfo is null || column.FieldInfo.Name == $"<{property.Name}>k__BackingField");

        static bool IsGenerated(MethodInfo? accessor) => accessor is not null && accessor.IsDefined(typeof(CompilerGeneratedAttribute), inherit: false);
    }

    private static bool HasBuiltInConverter(JsonSerializerOptions options, Type type)
    {
        try
        {
            return IsBuiltIn(options.GetTypeInfo(type).Converter);
        }
        catch (NotSupportedException)
        {
            return false;
        }
    }

    private static bool IsBuiltIn(JsonConverter converter) => converter.GetType().Assembly == typeof(JsonSerializer).Assembly;

    /// <summary>How the column's stored value becomes the JSON value System.Text.Json writes for what EF Core reads
    /// from it; null for a type this does not write. The key may be written as a string (a record id is one);
    /// nothing else may.</summary>
    private static SqliteJsonProperty? Value(PlainColumn column, bool asString, bool isKey)
    {
        if (asString && !(isKey && column.Type != typeof(string)))
        {
            return null;
        }
        Type type = column.Type;
        StoredValue? kind = type == typeof(string) ? StoredValue.Text
            : type == typeof(bool) ? StoredValue.Boolean
            : type == typeof(DateTime) ? StoredValue.DateTime
            : type == typeof(DateTimeOffset) ? StoredValue.DateTimeOffset
            : IntegerRange(type) is not null ? (asString ? StoredValue.IntegerAsText : StoredValue.Integer)
            : null;
        if (kind is not { } value)
        {
            return null;
        }
        (long min, long max) = IntegerRange(type) ?? (0, 0);
        return new SqliteJsonProperty(default, value, column.IsNullable, min, max);
    }

    private static (long Min, long Max)? IntegerRange(Type type) => type switch
    {
        _ when type == typeof(long) => (long.MinValue, long.MaxValue),
        _ when type == typeof(int) => (int.MinValue, int.MaxValue),
        _ when type == typeof(uint) => (uint.MinValue, uint.MaxValue),
        _ when type == typeof(short) => (short.MinValue, short.MaxValue),
        _ when type == typeof(ushort) => (ushort.MinValue, ushort.MaxValue),
        _ when type == typeof(sbyte) => (sbyte.MinValue, sbyte.MaxValue),
        _ when type == typeof(byte) => (byte.MinValue, byte.MaxValue),
        _ => null,
    };

    /// <summary>The columns of the model's group rules (empty for a constant rule), each one of the plain columns.</summary>
    private static bool RuleColumns(SyncModel<T> model, IEntityType entity, StoreObjectIdentifier store, out string[] columns)
    {
        columns = new string[model.GroupRules.Count];
        for (int i = 0; i < columns.Length; i++)
        {
            if (model.GroupRules[i].Column is not { } rule)
            {
                columns[i] = "";
                continue;
            }
            Type type = Nullable.GetUnderlyingType(rule.ReturnType) ?? rule.ReturnType;
            if (IntegerRange(type) is null && type != typeof(string)
                || entity.FindProperty(JsonMembers.MemberName(rule)) is not { } property
                || property.GetValueConverter() is not null || property.GetTypeMapping().Converter is not null
                || property.GetColumnName(store) is not { } name)
            {
                return false;
            }
            columns[i] = Identifier(name);
        }
        return true;
    }

    /// <summary>The values as a JSON array, for <c>json_each</c>: text as strings, integers as numbers.</summary>
    private static string JsonArray(IReadOnlyList<object> values)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (object value in values)
            {
                if (value is string text)
                {
                    writer.WriteStringValue(text);
                }
                else
                {
                    writer.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture));
                }
            }
            writer.WriteEndArray();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static string Identifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private sealed record PlainColumn(IProperty Property, string Name, Type Type, bool IsNullable);
}

/// <summary>A served property of a <see cref="SqliteJsonQuery{T}"/>: its JSON name, and how its column's stored
/// value becomes its JSON value. <see cref="Min"/> and <see cref="Max"/> bound an integer (EF Core reads a narrower
/// integer with a checked conversion, which fails on a wider value).</summary>
internal sealed record SqliteJsonProperty(JsonEncodedText Name, StoredValue Kind, bool IsNullable, long Min, long Max);

/// <summary>What a column of a <see cref="SqliteJsonQuery{T}"/> holds, as EF Core stores it in SQLite.</summary>
internal enum StoredValue
{
    /// <summary>Text, served as a JSON string.</summary>
    Text,

    /// <summary>0 or 1 (EF Core reads any other integer as true), served as false or true.</summary>
    Boolean,

    /// <summary>An integer, served as a JSON number.</summary>
    Integer,

    /// <summary>An integer key, served as its decimal text in a JSON string (a record id).</summary>
    IntegerAsText,

    /// <summary>EF Core's "yyyy-MM-dd HH:mm:ss.FFFFFFF", served with a 'T' for the space.</summary>
    DateTime,

    /// <summary>EF Core's "yyyy-MM-dd HH:mm:ss.FFFFFFFzzz", served with a 'T' for the space.</summary>
    DateTimeOffset,
}
