using Tether.Mutators;
using static IssueTracker.IssueTrackerModels;

namespace IssueTracker.Mutators;

public sealed record CreateProjectArgs(string Id, string TeamId, string Name);

public sealed class CreateProjectMutator() : Mutator<CreateProjectArgs>(IssueTrackerMutators.CreateProject, IssueTrackerJsonContext.Default.CreateProjectArgs)
{
    protected override async ValueTask ExecuteAsync(IMutationContext context, CreateProjectArgs args, CancellationToken cancellationToken)
    {
        var id = FieldRules.RequireId(args.Id, "id");
        var teamId = FieldRules.RequireTeamId(args.TeamId, "teamId");
        var name = FieldRules.RequireName(args.Name, "name");
        await TeamAccess.RequireMemberAsync(context, teamId, cancellationToken).ConfigureAwait(false);

        var project = RecordData.Created(context, id);
        project["teamId"] = teamId;
        project["name"] = name;
        await context.InsertAsync(Project, id, project, [TeamGroup(teamId)], cancellationToken).ConfigureAwait(false);
    }
}
