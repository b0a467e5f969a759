using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Tether.Protocol;

namespace Tether.Server.Internal.Http;

internal static class JsonRequests
{
    /// <summary>Reads a request body, or explains in one sentence what is wrong with it (no .NET internals).</summary>
    public static T? Parse<T>(ReadOnlySpan<byte> body, JsonTypeInfo<T> type, out ErrorBody? error) where T : class
    {
        if (WellFormed.JsonProblem(body, type.Options.MaxDepth) is { } problem)
        {
            error = new ErrorBody(ErrorCodes.BadRequest, problem);
            return null;
        }
        try
        {
            T? value = JsonSerializer.Deserialize(body, type);
            error = value is null ? new ErrorBody(ErrorCodes.BadRequest, "The body is empty or null.") : null;
            return value;
        }
        catch (JsonException e)
        {
            string where = string.IsNullOrEmpty(e.Path) ? "" : $" at {e.Path}";
            error = new ErrorBody(ErrorCodes.BadRequest, $"The body is not valid JSON for this request{where}.");
            return null;
        }
    }
}
