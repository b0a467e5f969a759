using IssueTracker.Entities;
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

        var project = new Project
        {
            Id = id,
            CreatedBy = context.UserId,
            CreatedAt = RecordData.CreatedAt(context),
            TeamId = teamId,
            Name = name,
        };
        await context.InsertAsync(Projects, project, cancellationToken).ConfigureAwait(false);
    }
}
