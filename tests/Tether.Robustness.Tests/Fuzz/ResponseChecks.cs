using System.Text.Json;
using System.Text.RegularExpressions;

namespace Tether.Robustness.Tests.Fuzz;

/// <summary>What no answer to bad input may contain: a 5xx, .NET's internals, the request's own headers, or another
/// user's data.</summary>
internal static partial class ResponseChecks
{
    /// <summary>The problems of a text the server sent (an HTTP body, a WebSocket frame), joined; null when none.</summary>
    public static string? CheckText(string text) => Join(TextProblems(text));

    /// <summary>The problems of an HTTP answer, joined; null when none.</summary>
    public static string? CheckHttp(int status, string? contentType, string body, IEnumerable<string> headerValues)
    {
        var problems = new List<string>();
        if (status >= 500)
        {
            problems.Add($"answered {status}");
        }
        problems.AddRange(TextProblems(body));
        if (headerValues.Any(value => value.Contains(RequestFuzz.Canary, StringComparison.Ordinal)))
        {
            problems.Add("echoed the canary header in a response header");
        }
        if (status >= 400 && contentType == "application/json" && !IsErrorShape(body))
        {
            problems.Add($"answered {status} without the protocol's error shape");
        }
        return Join(problems);
    }

    private static IEnumerable<string> TextProblems(string text)
    {
        if (text.Contains("Exception", StringComparison.Ordinal) || text.Contains("   at ", StringComparison.Ordinal) || StackFrame().IsMatch(text))
        {
            yield return "exception text or a stack trace";
        }
        if (text.Contains("BytePositionInLine", StringComparison.Ordinal) || text.Contains("LineNumber:", StringComparison.Ordinal))
        {
            yield return "a parser's exception message";
        }
        if (text.Contains(RequestFuzz.Canary, StringComparison.Ordinal) || text.Contains("Bearer dev:", StringComparison.Ordinal))
        {
            yield return "echoed request headers";
        }
        if (text.Contains("\"code\":\"internal\"", StringComparison.Ordinal))
        {
            yield return "bad input refused as internal";
        }
        if (text.Contains(Harness.UserState.Secret, StringComparison.Ordinal))
        {
            yield return "another user's data";
        }
    }

    private static string? Join(IEnumerable<string> problems)
    {
        string joined = string.Join("; ", problems);
        return joined.Length == 0 ? null : joined;
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
