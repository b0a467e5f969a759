using Tether.Mutators;

namespace Tether.Bench.EfApp;

/// <summary>Creates one issue. The same mutator runs on the built-in store (a JSON record) and on the app's table.</summary>
internal sealed class CreateIssue() : Mutator<CreateIssueArgs>("createIssue", BenchJson.Default.CreateIssueArgs)
{
    protected override ValueTask ExecuteAsync(IMutationContext context, CreateIssueArgs args, CancellationToken cancellationToken)
        => context.InsertAsync(BenchModels.Issue, args.ToIssue(), cancellationToken);
}
