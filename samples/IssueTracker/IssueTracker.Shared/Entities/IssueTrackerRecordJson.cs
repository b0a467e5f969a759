using System.Text.Json;
using System.Text.Json.Serialization;

namespace IssueTracker.Entities;

/// <summary>
/// Source-generated metadata for the records, camelCase as on the wire, so they serialize without reflection (trimmed
/// WebAssembly). Unlike the mutators' arguments, a record may carry fields its entity does not know (written by
/// another version of the app): they are skipped when it is read, and a typed update leaves them in the record.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(Team))]
[JsonSerializable(typeof(Member))]
[JsonSerializable(typeof(Project))]
[JsonSerializable(typeof(Issue))]
[JsonSerializable(typeof(Comment))]
public sealed partial class IssueTrackerRecordJson : JsonSerializerContext;
