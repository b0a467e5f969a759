using System.Text.Json;
using System.Text.Json.Serialization;
using Tether.Mutators;
using static Tether.TestHost.TestModel;

namespace Tether.TestHost;

/// <summary>The test model's issue as a typed entity. It knows fewer fields than <see cref="CreateIssueMutator"/>
/// writes (no <c>createdBy</c>) and one it never writes (<c>priority</c>), so the tests see what a typed update does
/// to the fields it did not change.</summary>
public sealed class TypedIssue
{
    public string Id { get; set; } = "";
    public string? ProjectId { get; set; }
    public string TeamId { get; set; } = "";
    public string Title { get; set; } = "";
    public string? Description { get; set; }
    public string Status { get; set; } = "todo";
    public int Priority { get; set; }
}

public sealed record TypedCreateIssueArgs(string Id, string TeamId, string Title, string? Status = null, int Priority = 0);

/// <summary>A field left out stays as it is; a new <c>teamId</c> moves the issue to that team.</summary>
public sealed record TypedUpdateIssueArgs(string Id, string? TeamId = null, string? Title = null, string? Status = null, int? Priority = null);

public sealed record TypedIssueIdArgs(string Id);

public sealed record TypedTeamArgs(string TeamId);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(TypedIssue))]
[JsonSerializable(typeof(TypedCreateIssueArgs))]
[JsonSerializable(typeof(TypedUpdateIssueArgs))]
[JsonSerializable(typeof(TypedIssueIdArgs))]
[JsonSerializable(typeof(TypedTeamArgs))]
public sealed partial class TypedIssueJson : JsonSerializerContext;

/// <summary>
/// Mutators written only with the typed helpers of <see cref="TypedMutations"/>, for the tests of those helpers on the
/// client and on the server. They check nothing but what the helpers check, and are not part of
/// <see cref="TestMutators.All"/>: a test adds them to the server and to its clients.
/// </summary>
public static class TypedIssues
{
    public const string Create = "typedCreateIssue";
    public const string Update = "typedUpdateIssue";
    public const string Delete = "typedDeleteIssue";
    public const string CloseAll = "typedCloseTeamIssues";

    /// <summary>The <c>issue</c> model: an issue is in its team's group.</summary>
    public static SyncModel<TypedIssue> Model { get; } = new(Issue, TypedIssueJson.Default.TypedIssue, groups => groups.Column("team:", i => i.TeamId));

    /// <summary>New instances on every call, so that a server and a client never share one.</summary>
    public static IReadOnlyList<IMutator> All => [new CreateMutator(), new UpdateMutator(), new DeleteMutator(), new CloseAllMutator()];

    private sealed class CreateMutator() : Mutator<TypedCreateIssueArgs>(Create, TypedIssueJson.Default.TypedCreateIssueArgs)
    {
        protected override async ValueTask ExecuteAsync(IMutationContext context, TypedCreateIssueArgs args, CancellationToken cancellationToken)
            => await context.InsertAsync(Model, new TypedIssue
            {
                Id = args.Id,
                TeamId = args.TeamId,
                Title = args.Title,
                Status = args.Status ?? "todo",
                Priority = args.Priority,
            }, cancellationToken);
    }

    private sealed class UpdateMutator() : Mutator<TypedUpdateIssueArgs>(Update, TypedIssueJson.Default.TypedUpdateIssueArgs)
    {
        protected override async ValueTask ExecuteAsync(IMutationContext context, TypedUpdateIssueArgs args, CancellationToken cancellationToken)
            => await context.UpdateAsync(Model, args.Id, issue =>
            {
                issue.TeamId = args.TeamId ?? issue.TeamId;
                issue.Title = args.Title ?? issue.Title;
                issue.Status = args.Status ?? issue.Status;
                issue.Priority = args.Priority ?? issue.Priority;
            }, cancellationToken);
    }

    private sealed class DeleteMutator() : Mutator<TypedIssueIdArgs>(Delete, TypedIssueJson.Default.TypedIssueIdArgs)
    {
        protected override async ValueTask ExecuteAsync(IMutationContext context, TypedIssueIdArgs args, CancellationToken cancellationToken)
        {
            if (await context.GetAsync(Model, args.Id, cancellationToken) is null)
            {
                throw MutationRejectedException.NotFound($"There is no issue '{args.Id}'.");
            }
            await context.DeleteAsync(Model, args.Id, cancellationToken);
        }
    }

    /// <summary>Sets every issue of a team to done: what the typed list answers is what it changes.</summary>
    private sealed class CloseAllMutator() : Mutator<TypedTeamArgs>(CloseAll, TypedIssueJson.Default.TypedTeamArgs)
    {
        protected override async ValueTask ExecuteAsync(IMutationContext context, TypedTeamArgs args, CancellationToken cancellationToken)
        {
            foreach (TypedIssue issue in await context.ListAsync(Model, TeamGroup(args.TeamId), cancellationToken))
            {
                await context.UpdateAsync(Model, issue.Id, i => i.Status = "done", cancellationToken);
            }
        }
    }
}
