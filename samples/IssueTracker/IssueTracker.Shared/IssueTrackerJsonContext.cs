using System.Text.Json;
using System.Text.Json.Serialization;
using IssueTracker.Mutators;

namespace IssueTracker;

/// <summary>
/// Source-generated metadata for the mutators' arguments, so they deserialize without reflection (trimmed
/// WebAssembly). A missing required argument, a null where none is allowed and an unknown field (a typo would
/// otherwise be a silent no-op in a patch) all fail, and the mutator refuses them as <c>invalid_args</c>.
/// </summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(CreateTeamArgs))]
[JsonSerializable(typeof(AddMemberArgs))]
[JsonSerializable(typeof(RemoveMemberArgs))]
[JsonSerializable(typeof(CreateProjectArgs))]
[JsonSerializable(typeof(CreateIssueArgs))]
[JsonSerializable(typeof(UpdateIssueArgs))]
[JsonSerializable(typeof(DeleteIssueArgs))]
[JsonSerializable(typeof(AddCommentArgs))]
public sealed partial class IssueTrackerJsonContext : JsonSerializerContext;
