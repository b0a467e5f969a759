using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Tether.Protocol;

/// <summary>Source-generated JSON metadata for every protocol type (camelCase, nulls written only where meaningful).</summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    MaxDepth = 64,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(SyncAction))]
[JsonSerializable(typeof(Mutation))]
[JsonSerializable(typeof(PushRequest))]
[JsonSerializable(typeof(PushResult))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(HandshakeFrame))]
[JsonSerializable(typeof(SyncFrame))]
[JsonSerializable(typeof(GroupsFrame))]
[JsonSerializable(typeof(ErrorFrame))]
[JsonSerializable(typeof(PushFrame))]
[JsonSerializable(typeof(PushResultFrame))]
[JsonSerializable(typeof(TypedFrame))]
[JsonSerializable(typeof(DeltaResponse))]
[JsonSerializable(typeof(BootstrapRequest))]
[JsonSerializable(typeof(BootstrapLine))]
[JsonSerializable(typeof(ChangesArgs))]
[JsonSerializable(typeof(JsonObject))]
[JsonSerializable(typeof(JsonElement))]
public sealed partial class TetherJsonContext : JsonSerializerContext;
