using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Tether.Mutators;

public sealed record Todo(string Id, string Title);
public sealed record AddTodoArgs(string Id, string Title);

public sealed class AddTodo() : Mutator<AddTodoArgs>("addTodo", TodoJson.Default.AddTodoArgs)
{
    protected override ValueTask ExecuteAsync(IMutationContext context, AddTodoArgs args, CancellationToken ct)
        => context.InsertAsync("todo", args.Id, new JsonObject { ["id"] = args.Id, ["title"] = args.Title },
            syncGroups: ["user:" + context.UserId], ct);   // each user sees their own to-dos
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(Todo)), JsonSerializable(typeof(AddTodoArgs))]
public sealed partial class TodoJson : JsonSerializerContext;
