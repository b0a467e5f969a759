using System.Text.Json;
using System.Text.Json.Serialization;

namespace IssueTracker.Console;

public sealed record Issue(string Id, string ProjectId, string Title, string Status);
public sealed record Team(string Id, string Name);
public sealed record TeamArgs(string Id, string Name);
public sealed record ProjectArgs(string Id, string TeamId, string Name);
public sealed record IssueArgs(string Id, string ProjectId, string Title);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(Issue))]
[JsonSerializable(typeof(Team))]
[JsonSerializable(typeof(TeamArgs))]
[JsonSerializable(typeof(ProjectArgs))]
[JsonSerializable(typeof(IssueArgs))]
internal sealed partial class ConsoleJson : JsonSerializerContext;
