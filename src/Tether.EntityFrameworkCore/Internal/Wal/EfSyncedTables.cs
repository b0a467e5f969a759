using System.Linq.Expressions;
using System.Reflection;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Tether.Server.PostgreSql;

namespace Tether.EntityFrameworkCore.Internal.Wal;

/// <summary>
/// Makes the <see cref="EfSyncedTable"/> of a mapped model, checked against the app's EF model: the columns its
/// record's JSON, key and group-owner rules need, and a compiled builder of an entity object from their values (a
/// parameterless constructor, then each member EF Core sets, through the column's value converter). An entity whose
/// rows are not each one object of its own table (owned, in an inheritance hierarchy, sharing or split across tables)
/// cannot be built from a row of the log and is refused, and so is one with a global query filter (the log gives rows
/// the filter hides from Tether's reads).
/// </summary>
internal static class EfSyncedTables
{
    private static readonly PropertyInfo Item = typeof(IReadOnlyList<object?>).GetProperty("Item")!;

    /// <summary>The model's table, or null when it cannot be read from the log (each reason is added to
    /// <paramref name="problems"/>).</summary>
    public static EfSyncedTable? Create(MappedModel model, IEntityType entity, List<string> problems)
    {
        int known = problems.Count;
        string what = $"The model '{model.Name}' ({model.EntityType.Name})";
        string table = entity.GetTableName()!;
        string? schema = entity.GetSchema();
        StoreObjectIdentifier storeObject = StoreObjectIdentifier.Table(table, schema);
        if (entity.FindOwnership() is { } ownership)
        {
            problems.Add($"{what}: the entity is owned by {ownership.PrincipalEntityType.DisplayName()}; Tether builds a synced row from the write-ahead log as an entity of its own table.");
            return null;
        }
        if (entity.BaseType is not null || entity.GetDirectlyDerivedTypes().Any())
        {
            problems.Add($"{what}: the entity is part of an inheritance hierarchy ({entity.GetRootType().GetMappingStrategy() ?? "TPH"}); Tether builds a synced row from the write-ahead log as an entity of one type, alone in its table.");
            return null;
        }
        string[] sharing = [.. TableSharers(entity, table, schema)];
        if (sharing.Length > 0)
        {
            problems.Add($"{what}: its table {table} is shared with {string.Join(" and ", sharing)} (table splitting); Tether builds a synced row from the write-ahead log as an entity alone in its table.");
            return null;
        }
        if (entity.GetDeclaredQueryFilters().Count > 0)
        {
            // Tether's queries of the model (bootstrap, a mutator's read, the staging of its writes) keep EF Core's
            // filters, so a filtered row would reach clients as an action but never as a record they read.
            problems.Add($"{what}: the entity has a global query filter (HasQueryFilter); Tether reads every row of its table from the write-ahead log, but through EF Core only the rows the filter keeps. Remove the filter from a synced entity (filter in the app's queries instead).");
        }
        ConstructorInfo? constructor = model.EntityType.GetConstructor(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic, Type.EmptyTypes);
        if (constructor is null)
        {
            problems.Add($"{what}: the entity has no constructor without parameters; Tether builds a synced row from the write-ahead log with one, then sets its columns.");
        }
        List<IProperty> properties = Needed(model, entity, what, problems);
        var columns = new List<PgSyncedColumn>(properties.Count);
        var setters = new List<Setter>(properties.Count);
        foreach (IProperty property in properties)
        {
            if (Column(property, storeObject, what, problems) is ({ } column, { } setter))
            {
                columns.Add(column);
                setters.Add(setter);
            }
        }
        if (problems.Count > known)
        {
            return null;
        }
        return new EfSyncedTable(model, schema ?? "public", table, columns, Builder(constructor!, setters));
    }

    /// <summary>The key, the JSON's columns, then what the group-owner rules read, each once.</summary>
    private static List<IProperty> Needed(MappedModel model, IEntityType entity, string what, List<string> problems)
    {
        var properties = new List<IProperty> { entity.FindPrimaryKey()!.Properties[0] };
        foreach (IProperty property in model.Synced)
        {
            if (!properties.Contains(property))
            {
                properties.Add(property);
            }
        }
        foreach (LambdaExpression rule in model.GroupOwnerRules)
        {
            if (MembersRead.Of(rule) is not { } members)
            {
                problems.Add($"{what}: its rule DecidesSyncGroupsOf({rule}) reads the entity other than through its members; Tether computes it from the columns the write-ahead log gives.");
                continue;
            }
            foreach (string member in members)
            {
                if (entity.FindProperty(member) is not { } property)
                {
                    problems.Add($"{what}: its rule DecidesSyncGroupsOf({rule}) reads {member}, which is not a column of the entity; Tether computes it from the columns the write-ahead log gives.");
                }
                else if (!properties.Contains(property))
                {
                    properties.Add(property);
                }
            }
        }
        return properties;
    }

    /// <summary>How the log gives <paramref name="property"/>'s column and how its value is set, or nothing (the
    /// reason added to <paramref name="problems"/>).</summary>
    private static (PgSyncedColumn?, Setter?) Column(IProperty property, StoreObjectIdentifier storeObject, string what, List<string> problems)
    {
        if (property.GetColumnName(storeObject) is not { } name)
        {
            problems.Add($"{what}: its column {property.Name} is not in the table {storeObject.Name} (entity splitting); Tether builds a synced row from the write-ahead log from one table's row.");
            return default;
        }
        // EF Core's model refuses a mapped property it cannot set, so there is always a member.
        MemberInfo member = property.GetMemberInfo(forMaterialization: true, forSet: true);
        if (member is FieldInfo { IsInitOnly: true })
        {
            problems.Add($"{what}: its column {property.Name} is set through a read-only field; Tether builds a synced row from the write-ahead log by setting each column.");
            return default;
        }
        CoreTypeMapping mapping = property.GetTypeMapping();
        ValueConverter? converter = mapping.Converter;
        Type provider = Unwrapped(converter?.ProviderClrType ?? property.ClrType);
        string storeType = property.GetColumnType(storeObject) ?? ((RelationalTypeMapping)mapping).StoreType;
        if (WalColumnTypes.ReadType(storeType) is not { } read)
        {
            problems.Add($"{what}: its column {name} is a {storeType}, which Tether does not read from the write-ahead log.");
            return default;
        }
        if (WalColumnTypes.Convert(Expression.Parameter(read), provider) is null)
        {
            problems.Add($"{what}: its column {name} is a {storeType}, which Npgsql reads as a {read.Name} and EF Core as a {provider.Name}; Tether reads it from the write-ahead log only as EF Core does.");
            return default;
        }
        return (new PgSyncedColumn(name, read), new Setter(member, read, provider, converter));
    }

    /// <summary><c>values =&gt; { var entity = new T(); entity.A = …values[0]…; …; return entity; }</c>, where a null
    /// value sets the member's default and any other is converted as EF Core reads the column.</summary>
    private static Func<IReadOnlyList<object?>, object> Builder(ConstructorInfo constructor, List<Setter> setters)
    {
        ParameterExpression values = Expression.Parameter(typeof(IReadOnlyList<object?>), "values");
        ParameterExpression entity = Expression.Variable(constructor.DeclaringType!, "entity");
        ParameterExpression value = Expression.Variable(typeof(object), "value");
        var body = new List<Expression> { Expression.Assign(entity, Expression.New(constructor)) };
        for (int i = 0; i < setters.Count; i++)
        {
            Setter setter = setters[i];
            Type target = setter.Member is PropertyInfo property ? property.PropertyType : ((FieldInfo)setter.Member).FieldType;
            Expression converted = WalColumnTypes.Convert(Expression.Convert(value, setter.Read), setter.Provider)!;
            if (setter.Converter is { } converter)
            {
                Type from = converter.ConvertFromProviderExpression.Parameters[0].Type;
                converted = Expressions.Inline(converter.ConvertFromProviderExpression, converted.Type == from ? converted : Expression.Convert(converted, from));
            }
            if (converted.Type != target)
            {
                converted = Expression.Convert(converted, target);
            }
            body.Add(Expression.Assign(value, Expression.MakeIndex(values, Item, [Expression.Constant(i)])));
            body.Add(Expression.Assign(
                Expression.MakeMemberAccess(entity, setter.Member),
                Expression.Condition(Expression.Equal(value, Expression.Constant(null)), Expression.Default(target), converted)));
        }
        body.Add(entity);
        return Expression.Lambda<Func<IReadOnlyList<object?>, object>>(Expression.Block([entity, value], body), values).Compile();
    }

    /// <summary>The other entity types mapped to the entity's table, except those it owns (their columns are not
    /// read, and its rows are its own).</summary>
    private static IEnumerable<string> TableSharers(IEntityType entity, string table, string? schema)
    {
        if (entity.Model.GetRelationalModel().FindTable(table, schema) is not { } mapped)
        {
            yield break;
        }
        foreach (ITableMapping mapping in mapped.EntityTypeMappings)
        {
            if (mapping.TypeBase is IEntityType other && other != entity && !OwnedBy(other, entity))
            {
                yield return other.DisplayName();
            }
        }
    }

    private static bool OwnedBy(IEntityType other, IEntityType entity)
    {
        for (IForeignKey? ownership = other.FindOwnership(); ownership is not null; ownership = ownership.PrincipalEntityType.FindOwnership())
        {
            if (ownership.PrincipalEntityType == entity)
            {
                return true;
            }
        }
        return false;
    }

    private static Type Unwrapped(Type type) => Nullable.GetUnderlyingType(type) ?? type;

    /// <summary>How one column's value is set: the member EF Core sets, the type the log gives, the type EF Core's
    /// provider reads, and the converter from it to the member's, if any.</summary>
    private sealed record Setter(MemberInfo Member, Type Read, Type Provider, ValueConverter? Converter);
}
