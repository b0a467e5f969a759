using System.Text.Json;
using System.Text.Json.Serialization;

namespace IssueTracker.Web.Models;

// The shapes of the records the server sends (README: the issue tracker's mutators). Fields are nullable where a
// record written through the `changes` mutator might leave them out, so one odd record never breaks a whole query.
// Immutable rather than the shared entities (IssueTracker.Entities), which the mutators change in place: live queries
// hand every component the same row object.
public sealed record Team(string Id, string Name, string? CreatedBy = null, string? CreatedAt = null);

public sealed record Member(string Id, string TeamId, string UserId, string? CreatedAt = null);

public sealed record Project(string Id, string TeamId, string Name, string? CreatedAt = null);

public sealed record Issue(
    string Id, string ProjectId, string TeamId, string Title,
    string? Description = null, string? Status = null, string? CreatedBy = null, string? CreatedAt = null);

public sealed record Comment(string Id, string IssueId, string TeamId, string Body, string? CreatedBy = null, string? CreatedAt = null);

/// <summary>Source-generated (trimming-safe under WebAssembly), camelCase like the records on the wire.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(Team))]
[JsonSerializable(typeof(Member))]
[JsonSerializable(typeof(Project))]
[JsonSerializable(typeof(Issue))]
[JsonSerializable(typeof(Comment))]
public sealed partial class WebJson : JsonSerializerContext;
