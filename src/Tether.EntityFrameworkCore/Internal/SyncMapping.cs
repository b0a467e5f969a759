using System.Collections.Frozen;
using System.Data.Common;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Tether.EntityFrameworkCore.Internal.Capture;
using Tether.EntityFrameworkCore.Internal.Wal;
using Tether.Server.PostgreSql;
using Tether.Server.Storage;

namespace Tether.EntityFrameworkCore.Internal;

/// <summary>
/// The mapped models of <typeparamref name="TDb"/>: which model names live in the app's tables (known from the
/// registration) and, once <see cref="Validate"/> has checked them against the app's EF model at startup, how each
/// is read and written.
/// </summary>
internal sealed class SyncMapping<TDb> : IAppRecordModels, ICapturedModels where TDb : DbContext
{
    private readonly IReadOnlyList<ModelDefinition> _definitions;
    private readonly FrozenSet<string> _names;
    private readonly FrozenSet<Type> _entityTypes;
    private readonly TetherContexts<TDb> _contexts;
    private readonly Action<DbContext> _giveBack;
    private FrozenDictionary<string, MappedModel>? _models;
    private FrozenDictionary<Type, MappedModel>? _byEntity;

    public SyncMapping(IReadOnlyList<ModelDefinition> definitions, TetherContexts<TDb> contexts)
    {
        _definitions = definitions;
        _names = definitions.Select(definition => definition.Name).ToFrozenSet(StringComparer.Ordinal);
        _entityTypes = definitions.Select(definition => definition.EntityType).ToFrozenSet();
        _contexts = contexts;
        _giveBack = context => contexts.Return((TDb)context);
    }

    public bool Owns(string modelName) => _names.Contains(modelName);

    /// <summary>The mapped model named <paramref name="modelName"/>, or null for a model Tether keeps as JSON.</summary>
    public MappedModel? Find(string modelName)
        => _names.Contains(modelName) ? Models[modelName] : null;

    /// <summary>The mapped model of the entity type <paramref name="entityType"/>, or null.</summary>
    public MappedModel? ForEntity(Type entityType)
        => (_byEntity ?? throw NotValidated()).GetValueOrDefault(entityType);

    public IReadOnlyDictionary<string, MappedModel> Models => _models ?? throw NotValidated();

    public bool IsSynced(Type entityType) => _entityTypes.Contains(entityType);

    ICapturedModel? ICapturedModels.Find(Type entityType) => ForEntity(entityType);

    public bool IsTetherOwned(DbContext context) => TetherOwnedContexts.Contains(context);

    public OwnedContext Open(DbConnection connection, DbTransaction transaction)
        => new(_contexts.Open(connection, transaction), _giveBack);

    public AppRecordShape Shape(string modelName, string id, JsonObject data)
        => (Find(modelName) ?? throw new ArgumentException($"The model '{modelName}' is not in the app's tables.", nameof(modelName))).Shape(id, data);

    /// <summary>Checks every model against the app's EF model and makes them usable; throws
    /// <see cref="InvalidOperationException"/> with one line per problem.</summary>
    public void Validate()
    {
        if (_models is not null)
        {
            return;
        }
        var problems = new List<string>();
        foreach (IGrouping<string, ModelDefinition> named in _definitions.GroupBy(definition => definition.Name, StringComparer.Ordinal).Where(group => group.Count() > 1))
        {
            problems.Add($"The model name '{named.Key}' is given to {string.Join(" and ", named.Select(definition => definition.EntityType.Name))}; each model has its own name.");
        }
        foreach (IGrouping<Type, ModelDefinition> twice in _definitions.GroupBy(definition => definition.EntityType).Where(group => group.Count() > 1))
        {
            problems.Add($"The entity {twice.Key.Name} is mapped as {string.Join(" and ", twice.Select(definition => $"'{definition.Name}'"))}; an entity is one model.");
        }
        var models = new List<MappedModel>();
        using (TDb db = _contexts.Create())
        {
            foreach (ModelDefinition definition in _definitions)
            {
                if (definition.Build(db.Model, problems) is { } model)
                {
                    models.Add(model);
                }
            }
        }
        if (problems.Count > 0)
        {
            throw new InvalidOperationException(
                $"The synced models of {typeof(TDb).Name} do not fit its EF Core model:{Environment.NewLine}- {string.Join(Environment.NewLine + "- ", problems)}");
        }
        _byEntity = models.ToFrozenDictionary(model => model.EntityType);
        _models = models.ToFrozenDictionary(model => model.Name, StringComparer.Ordinal);
    }

    /// <summary>The app's tables of the mapped models, as PostgreSQL's write-ahead log gives their rows, in the order
    /// the models were declared; throws <see cref="InvalidOperationException"/> with one line per problem when a
    /// model's rows cannot be read from the log.</summary>
    public IReadOnlyList<PgSyncedTable> SyncedTables()
    {
        var problems = new List<string>();
        var tables = new List<PgSyncedTable>();
        using (TDb db = _contexts.Create())
        {
            foreach (ModelDefinition definition in _definitions)
            {
                MappedModel model = Models[definition.Name];
                if (EfSyncedTables.Create(model, db.Model.FindEntityType(model.EntityType)!, problems) is { } table)
                {
                    tables.Add(table);
                }
            }
        }
        if (problems.Count > 0)
        {
            throw new InvalidOperationException(
                $"The synced models of {typeof(TDb).Name} cannot be read from PostgreSQL's write-ahead log:{Environment.NewLine}- {string.Join(Environment.NewLine + "- ", problems)}");
        }
        return tables;
    }

    private static InvalidOperationException NotValidated() => new("The synced models are used before the store was initialized.");
}
