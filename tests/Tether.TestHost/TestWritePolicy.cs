using System.Text.Json.Nodes;
using Tether.Mutators;
using Tether.Server;
using static Tether.TestHost.TestModel;

namespace Tether.TestHost;

/// <summary>
/// What <c>changes</c> may do: create, update and delete projects, issues and comments of the caller's teams. The
/// teams are the ones in <see cref="IMutationContext.UserSyncGroups"/>, so tests of the writer's group cache see what
/// the writer believes. A record never moves to another team, and a new issue or comment hangs under a record of
/// its own team. Teams and members change only through the mutators.
/// </summary>
public sealed class TestWritePolicy : IWritePolicy
{
    /// <summary>Each writable model: its fields, and the field naming its parent record (which never changes).</summary>
    private static readonly Dictionary<string, (IReadOnlySet<string> Fields, (string Field, string Model)? Parent)> Writable = new(StringComparer.Ordinal)
    {
        [Project] = (new HashSet<string>(["teamId", "name"]), null),
        [Issue] = (new HashSet<string>(["teamId", "projectId", "title", "description", "status"]), ("projectId", Project)),
        [Comment] = (new HashSet<string>(["teamId", "issueId", "body"]), ("issueId", Issue)),
    };

    public IReadOnlySet<string> FieldsOf(string modelName)
        => Writable.TryGetValue(modelName, out var model) ? model.Fields : new HashSet<string>();

    public async ValueTask<IReadOnlyCollection<string>> AuthorizeCreateAsync(
        IMutationContext context, string modelName, string modelId, JsonObject data, CancellationToken cancellationToken)
    {
        var model = RequireWritable(modelName);
        string teamId = RequireText(data, "teamId");
        RequireInTeam(context, TeamGroup(teamId));
        if (model.Parent is (string field, string parentModel))
        {
            Record parent = await TeamRules.RequireAsync(context, parentModel, RequireText(data, field), cancellationToken);
            if (TeamRules.Text(parent, "teamId") != teamId)
            {
                throw MutationRejectedException.Forbidden($"'{field}' names a {parentModel} of another team.");
            }
        }
        return [TeamGroup(teamId)];
    }

    public ValueTask AuthorizeUpdateAsync(IMutationContext context, Record existing, JsonObject patch, CancellationToken cancellationToken)
    {
        var model = RequireWritable(existing.ModelName);
        RequireOwn(context, existing);
        string[] fixedFields = model.Parent is (string parentField, _) ? ["teamId", parentField] : ["teamId"];
        foreach (string field in fixedFields)
        {
            if (patch.ContainsKey(field) && !JsonNode.DeepEquals(patch[field], existing.Data[field]))
            {
                throw MutationRejectedException.Forbidden($"'{field}' of a {existing.ModelName} cannot be changed.");
            }
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask AuthorizeDeleteAsync(IMutationContext context, Record existing, CancellationToken cancellationToken)
    {
        RequireWritable(existing.ModelName);
        RequireOwn(context, existing);
        return ValueTask.CompletedTask;
    }

    private static (IReadOnlySet<string> Fields, (string Field, string Model)? Parent) RequireWritable(string modelName)
        => Writable.TryGetValue(modelName, out var model)
            ? model
            : throw MutationRejectedException.Forbidden($"A {modelName} cannot be changed through 'changes'.");

    private static void RequireOwn(IMutationContext context, Record existing)
    {
        if (existing.SyncGroups.Count == 0)
        {
            throw MutationRejectedException.Forbidden($"The {existing.ModelName} '{existing.Id}' is in none of your teams.");
        }
        foreach (string group in existing.SyncGroups)
        {
            RequireInTeam(context, group);
        }
    }

    private static void RequireInTeam(IMutationContext context, string group)
    {
        if (!group.StartsWith("team:", StringComparison.Ordinal) || !context.UserSyncGroups.Contains(group))
        {
            throw MutationRejectedException.Forbidden("You are not a member of that team.");
        }
    }

    private static string RequireText(JsonObject data, string field)
        => data[field] is JsonValue value && value.TryGetValue(out string? text)
            ? text
            : throw MutationRejectedException.InvalidArgs($"'{field}' must be a string.");
}
