using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tether.TestHost;

public sealed record CreateTeamArgs(string Id, string Name);

public sealed record MemberArgs(string TeamId, string UserId);

public sealed record CreateProjectArgs(string Id, string TeamId, string Name);

public sealed record CreateIssueArgs(string Id, string ProjectId, string Title, string? Description = null, string? Status = null);

/// <summary>A field left out stays as it is.</summary>
public sealed record UpdateIssueArgs(string Id, string? Title = null, string? Description = null, string? Status = null);

public sealed record DeleteIssueArgs(string Id);

public sealed record AddCommentArgs(string Id, string IssueId, string Body);

/// <summary>A missing or null required argument fails to read, which <c>Mutator&lt;T&gt;</c> refuses as
/// <c>invalid_args</c>.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, RespectNullableAnnotations = true, RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(CreateTeamArgs))]
[JsonSerializable(typeof(MemberArgs))]
[JsonSerializable(typeof(CreateProjectArgs))]
[JsonSerializable(typeof(CreateIssueArgs))]
[JsonSerializable(typeof(UpdateIssueArgs))]
[JsonSerializable(typeof(DeleteIssueArgs))]
[JsonSerializable(typeof(AddCommentArgs))]
internal sealed partial class TestArgsJson : JsonSerializerContext;
