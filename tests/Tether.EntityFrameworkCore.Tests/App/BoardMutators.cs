using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Tether.Mutators;

namespace Tether.EntityFrameworkCore.Tests.App;

public sealed record AddMemberArgs(string TeamId, string UserId);
public sealed record CreateBoardArgs(string Id, string TeamId, string Name);
public sealed record CreateCardArgs(string Id, string BoardId, string TeamId, string Title, string? Assignee = null, int Points = 0);
public sealed record UpdateCardArgs(string Id, JsonObject Patch);
public sealed record DeleteCardArgs(string Id);
public sealed record PutRecordArgs(string Model, string Id, JsonObject Data, string[]? Groups = null);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(AddMemberArgs))]
[JsonSerializable(typeof(CreateBoardArgs))]
[JsonSerializable(typeof(CreateCardArgs))]
[JsonSerializable(typeof(UpdateCardArgs))]
[JsonSerializable(typeof(DeleteCardArgs))]
[JsonSerializable(typeof(PutRecordArgs))]
internal sealed partial class BoardArgsJson : JsonSerializerContext;

/// <summary>The test app's mutators, written against records as JSON (as a shared mutator is). They pass groups
/// that are not the rules' on purpose: for a model in the app's tables the rules decide.</summary>
public static class BoardMutators
{
    public static IEnumerable<IMutator> All =>
    [
        new AddMember(), new CreateBoard(), new CreateCard(), new UpdateCard(), new DeleteCard(), new PutRecord(),
    ];

    /// <summary>The groups a mutator passes and the rules overrule.</summary>
    public static readonly string[] WrongGroups = ["nobody"];

    private sealed class AddMember() : Mutator<AddMemberArgs>("addMember", BoardArgsJson.Default.AddMemberArgs)
    {
        protected override async ValueTask ExecuteAsync(IMutationContext context, AddMemberArgs args, CancellationToken cancellationToken)
        {
            var member = new JsonObject { ["teamId"] = args.TeamId, ["userId"] = args.UserId };
            await context.InsertAsync(BoardModels.Member.Name, $"{args.TeamId}:{args.UserId}", member, WrongGroups, cancellationToken);
            context.SyncGroupsChanged(args.UserId, ["team:" + args.TeamId], []);
        }
    }

    private sealed class CreateBoard() : Mutator<CreateBoardArgs>("createBoard", BoardArgsJson.Default.CreateBoardArgs)
    {
        protected override ValueTask ExecuteAsync(IMutationContext context, CreateBoardArgs args, CancellationToken cancellationToken)
            => context.InsertAsync(BoardModels.Board.Name, args.Id, new JsonObject { ["teamId"] = args.TeamId, ["name"] = args.Name }, WrongGroups, cancellationToken);
    }

    private sealed class CreateCard() : Mutator<CreateCardArgs>("createCard", BoardArgsJson.Default.CreateCardArgs)
    {
        protected override ValueTask ExecuteAsync(IMutationContext context, CreateCardArgs args, CancellationToken cancellationToken)
            => context.InsertAsync(BoardModels.Card.Name, args.Id, new JsonObject
            {
                ["boardId"] = args.BoardId,
                ["teamId"] = args.TeamId,
                ["title"] = args.Title,
                ["assignee"] = args.Assignee,
                ["points"] = args.Points,
            }, WrongGroups, cancellationToken);
    }

    private sealed class UpdateCard() : Mutator<UpdateCardArgs>("updateCard", BoardArgsJson.Default.UpdateCardArgs)
    {
        protected override ValueTask ExecuteAsync(IMutationContext context, UpdateCardArgs args, CancellationToken cancellationToken)
            => context.UpdateAsync(BoardModels.Card.Name, args.Id, args.Patch, WrongGroups, cancellationToken);
    }

    private sealed class DeleteCard() : Mutator<DeleteCardArgs>("deleteCard", BoardArgsJson.Default.DeleteCardArgs)
    {
        protected override ValueTask ExecuteAsync(IMutationContext context, DeleteCardArgs args, CancellationToken cancellationToken)
            => context.DeleteAsync(BoardModels.Card.Name, args.Id, cancellationToken);
    }

    /// <summary>Inserts any record as it is given: what the tests use to send data that does not fit.</summary>
    private sealed class PutRecord() : Mutator<PutRecordArgs>("putRecord", BoardArgsJson.Default.PutRecordArgs)
    {
        protected override ValueTask ExecuteAsync(IMutationContext context, PutRecordArgs args, CancellationToken cancellationToken)
            => context.InsertAsync(args.Model, args.Id, args.Data, args.Groups ?? WrongGroups, cancellationToken);
    }
}
