using System.Text.Json;
using System.Text.Json.Nodes;
using Tether.Mutators;

namespace Tether.Server.Tests.Harness;

/// <summary>A mutator with a bug: it writes a record, then throws. Used to prove that a bug costs one mutation only.</summary>
public sealed class ExplodingMutator : IMutator
{
    public const string MutatorName = "explode";
    public const string SecretDetail = "connection string Password=hunter2";
    public const string WrittenBeforeThrowing = "half-written";

    public string Name => MutatorName;

    public async ValueTask ExecuteAsync(IMutationContext context, JsonElement args, CancellationToken cancellationToken)
    {
        string teamId = args.GetProperty("teamId").GetString()!;
        await context.InsertAsync("project", WrittenBeforeThrowing, new JsonObject { ["teamId"] = teamId, ["name"] = "x" }, ["team:" + teamId], cancellationToken);
        throw new InvalidOperationException(SecretDetail);
    }
}
