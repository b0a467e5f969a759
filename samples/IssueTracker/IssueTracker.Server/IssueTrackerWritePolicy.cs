using System.Text.Json;
using System.Text.Json.Nodes;
using Tether.Mutators;
using Tether.Server;
using static IssueTracker.IssueTrackerModels;

namespace IssueTracker.Server;

/// <summary>
/// What the built-in <c>changes</c> mutator may do: create, update and delete projects, issues and comments inside
/// the caller's own teams, with the same field rules as the mutators. Teams and members carry the access rules
/// themselves, so they change only through the mutators.
/// </summary>
public sealed class IssueTrackerWritePolicy : IWritePolicy
{
    /// <summary>Fields that tie a record to its team; changing them would move data between teams. (The server keeps
    /// <c>createdBy</c> and <c>createdAt</c> itself.)</summary>
    private static readonly string[] FixedFields = ["id", "teamId"];

    /// <summary>The fields of each writable model, as its mutators write them (besides <c>id</c> and the server's
    /// <c>createdBy</c>/<c>createdAt</c>); <c>changes</c> refuses any other.</summary>
    private static readonly Dictionary<string, IReadOnlySet<string>> Fields = new(StringComparer.Ordinal)
    {
        [Project] = new HashSet<string>(["teamId", "name"], StringComparer.Ordinal),
        [Issue] = new HashSet<string>(["projectId", "teamId", "title", "description", "status"], StringComparer.Ordinal),
        [Comment] = new HashSet<string>(["issueId", "teamId", "body"], StringComparer.Ordinal),
    };

    private static readonly IReadOnlySet<string> NoFields = new HashSet<string>();

    public IReadOnlySet<string> FieldsOf(string modelName) => Fields.GetValueOrDefault(modelName, NoFields);

    public async ValueTask<IReadOnlyCollection<string>> AuthorizeCreateAsync(
        IMutationContext context, string modelName, string modelId, JsonObject data, CancellationToken cancellationToken)
    {
        RequireWritableModel(modelName);
        FieldRules.RequireId(modelId, "modelId");
        if (data.ContainsKey("id") && RecordData.GetString(data, "id") != modelId)
        {
            throw MutationRejectedException.InvalidArgs("'id' of the data differs from 'modelId'.");
        }
        var teamId = FieldRules.RequireTeamId(StringField(data, "teamId"), "teamId");
        var group = TeamGroup(teamId);
        if (!context.UserSyncGroups.Contains(group))
        {
            throw MutationRejectedException.Forbidden($"You are not a member of team '{teamId}'.");
        }
        await ValidateFieldsAsync(context, modelName, data, teamId, isCreate: true, cancellationToken).ConfigureAwait(false);
        return [group];
    }

    public async ValueTask AuthorizeUpdateAsync(IMutationContext context, Record existing, JsonObject patch, CancellationToken cancellationToken)
    {
        RequireWritableModel(existing.ModelName);
        RequireOwnTeamGroups(context, existing);
        foreach (var field in FixedFields)
        {
            // Clients that send the whole record repeat these fields unchanged, which is fine.
            if (patch.ContainsKey(field) && !JsonNode.DeepEquals(patch[field], existing.Data[field]))
            {
                throw MutationRejectedException.Forbidden($"'{field}' of {existing.ModelName} records cannot be changed.");
            }
        }
        var teamId = TeamAccess.TeamIdOf(existing);
        await ValidateFieldsAsync(context, existing.ModelName, patch, teamId, isCreate: false, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask AuthorizeDeleteAsync(IMutationContext context, Record existing, CancellationToken cancellationToken)
    {
        RequireWritableModel(existing.ModelName);
        RequireOwnTeamGroups(context, existing);
        return ValueTask.CompletedTask;
    }

    private static void RequireWritableModel(string modelName)
    {
        if (modelName is not (Project or Issue or Comment))
        {
            throw MutationRejectedException.Forbidden($"Records of '{modelName}' cannot be changed with 'changes'; use the mutators.");
        }
    }

    /// <summary>A record shared with a group the caller cannot read (a user group, say) is not the caller's to change.</summary>
    private static void RequireOwnTeamGroups(IMutationContext context, Record existing)
    {
        var own = existing.SyncGroups.Count > 0 && existing.SyncGroups.All(
            group => group.StartsWith("team:", StringComparison.Ordinal) && context.UserSyncGroups.Contains(group));
        if (!own)
        {
            throw MutationRejectedException.Forbidden($"The {existing.ModelName} '{existing.Id}' is not in your teams.");
        }
    }

    /// <summary>Checks the fields that are present (on create, the required ones must be) like the mutators would.</summary>
    private static async ValueTask ValidateFieldsAsync(
        IMutationContext context, string modelName, JsonObject data, string teamId, bool isCreate, CancellationToken cancellationToken)
    {
        switch (modelName)
        {
            case Project:
                CheckText(data, "name", FieldRules.MaxNameLength, isCreate);
                break;
            case Issue:
                CheckText(data, "title", FieldRules.MaxNameLength, isCreate);
                if (data.ContainsKey("description"))
                {
                    FieldRules.OptionalText(StringField(data, "description"), "description");
                }
                if (isCreate || data.ContainsKey("status"))
                {
                    FieldRules.RequireStatus(StringField(data, "status"));
                }
                await CheckReferenceAsync(context, data, "projectId", Project, teamId, isCreate, cancellationToken).ConfigureAwait(false);
                break;
            case Comment:
                CheckText(data, "body", FieldRules.MaxTextLength, isCreate);
                await CheckReferenceAsync(context, data, "issueId", Issue, teamId, isCreate, cancellationToken).ConfigureAwait(false);
                break;
        }
    }

    private static void CheckText(JsonObject data, string field, int maxLength, bool required)
    {
        if (required || data.ContainsKey(field))
        {
            FieldRules.RequireText(StringField(data, field), field, maxLength);
        }
    }

    /// <summary>A reference must name a record of the same team, or an issue could hang in a project its team
    /// cannot see.</summary>
    private static async ValueTask CheckReferenceAsync(
        IMutationContext context, JsonObject data, string field, string modelName, string teamId, bool required, CancellationToken cancellationToken)
    {
        if (!required && !data.ContainsKey(field))
        {
            return;
        }
        var id = FieldRules.RequireId(StringField(data, field), field);
        var target = await TeamAccess.RequireRecordAsync(context, modelName, id, cancellationToken).ConfigureAwait(false);
        if (RecordData.GetString(target.Data, "teamId") != teamId)
        {
            throw MutationRejectedException.Forbidden($"'{field}' must name a {modelName} of team '{teamId}'.");
        }
    }

    /// <summary>Like <see cref="RecordData.GetString"/>, but a value of another JSON kind is refused rather than
    /// read as missing, so the message says what is wrong.</summary>
    private static string? StringField(JsonObject data, string field) =>
        data[field] switch
        {
            null => null,
            JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
            _ => throw MutationRejectedException.InvalidArgs($"'{field}' must be a string."),
        };
}
