using System.Text.Json;
using System.Text.RegularExpressions;

namespace Tether.Robustness.Tests.Fuzz;

/// <summary>What no answer to bad input may contain: a 5xx, .NET's internals, the request's own headers, or another
/// user's data.</summary>
internal static partial class ResponseChecks
{
    /// <summary>The first problem of a text the server sent (an HTTP body, a WebSocket frame), or null.</summary>
    public static string? CheckText(string text)
    {
        if (text.Contains("Exception", StringComparison.Ordinal) || text.Contains("   at ", StringComparison.Ordinal) || StackFrame().IsMatch(text))
        {
            return "exception text or a stack trace";
        }
        if (text.Contains(RequestFuzz.Canary, StringComparison.Ordinal) || text.Contains("Bearer dev:", StringComparison.Ordinal))
        {
            return "echoed request headers";
        }
        if (text.Contains("\"code\":\"internal\"", StringComparison.Ordinal))
        {
            return "bad input refused as internal";
        }
        if (text.Contains(Harness.UserState.Secret, StringComparison.Ordinal))
        {
            return "another user's data";
        }
        return null;
    }

    /// <summary>The first problem of an HTTP answer, or null.</summary>
    public static string? CheckHttp(int status, string? contentType, string body, IEnumerable<string> headerValues)
    {
        if (status >= 500)
        {
            return $"answered {status}";
        }
        if (CheckText(body) is { } problem)
        {
            return problem;
        }
        if (headerValues.Any(value => value.Contains(RequestFuzz.Canary, StringComparison.Ordinal)))
        {
            return "echoed the canary header in a response header";
        }
        if (status >= 400 && contentType == "application/json" && !IsErrorShape(body))
        {
            return $"answered {status} without the protocol's error shape";
        }
        return null;
    }

    private static bool IsErrorShape(string body)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(body);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("error", out JsonElement error)
                && error.ValueKind == JsonValueKind.Object
                && error.TryGetProperty("code", out JsonElement code) && code.ValueKind == JsonValueKind.String
                && error.TryGetProperty("message", out JsonElement message) && message.ValueKind == JsonValueKind.String;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>A .NET stack frame: "at Namespace.Type.Method(".</summary>
    [GeneratedRegex(@"\bat [A-Za-z_][\w.`<>+]*\.[\w<>`]+\(")]
    private static partial Regex StackFrame();
}
