using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Tether.Robustness.Tests.Harness;

/// <summary>
/// An intruder's raw HTTP calls and the findings about them: an answer to a read must carry nothing of the owner's
/// (neither the owner's <see cref="UserState.Marker"/> nor, in a success, any of the owner's ids), and an attempt to
/// write the owner's data must be refused. Every finding is kept, so one run lists every leak.
/// </summary>
internal sealed class IsolationSweep(UserState owner, UserState intruder, Uri baseAddress) : IDisposable
{
    private readonly List<string> _findings = [];

    public HttpClient Http { get; } = NewClient(baseAddress, intruder.Token);
    public int Reads { get; private set; }
    public int Writes { get; private set; }
    public IReadOnlyList<string> Findings => _findings;

    private static HttpClient NewClient(Uri baseAddress, string token)
    {
        var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    /// <summary>Whether <paramref name="text"/> names anything of the owner's, or null.</summary>
    public string? Leak(string text, bool success)
    {
        if (text.Contains(owner.Marker, StringComparison.Ordinal))
        {
            return "the owner's data";
        }
        string[] ids = [owner.TeamId, owner.ProjectId, owner.IssueId, owner.ClientGroupId, owner.ReplicacheClientId, owner.StoreId];
        return success && ids.FirstOrDefault(id => text.Contains(id, StringComparison.Ordinal)) is { } id ? $"the owner's id '{id}'" : null;
    }

    /// <summary>A read: whatever it answers, nothing of the owner's may be in it (a refusal may name the ids the
    /// intruder asked for; <paramref name="refusedInBody"/> says a 200 carries one, as LiveStore's RPC failures do).</summary>
    public void Read(string path, HttpStatusCode status, string body, bool mustBeRefused = false, bool refusedInBody = false)
    {
        Reads++;
        if (Leak(body, (int)status < 300 && !refusedInBody) is { } leak)
        {
            _findings.Add($"read {path} ({(int)status}) showed {leak}: {Short(body)}");
        }
        if (mustBeRefused && (int)status is < 400 or >= 500)
        {
            _findings.Add($"read {path} was answered {(int)status} instead of a refusal: {Short(body)}");
        }
        if ((int)status >= 500)
        {
            _findings.Add($"read {path} answered {(int)status}: {Short(body)}");
        }
    }

    /// <summary>A write of the owner's data: it must be refused (an error status, or a rejected mutation).</summary>
    public void Write(string what, HttpStatusCode status, string body, bool refused)
    {
        Held($"write {what} was refused", refused, $"{(int)status}: {Short(body)}");
        if (Leak(body, success: false) is { } leak)
        {
            _findings.Add($"write {what} showed {leak}: {Short(body)}");
        }
    }

    /// <summary>A write path whose rule must hold: a finding with <paramref name="detail"/> when it did not.</summary>
    public void Held(string rule, bool held, string detail)
    {
        Writes++;
        if (!held)
        {
            _findings.Add($"not so: {rule} ({detail})");
        }
    }

    public void Finding(string finding) => _findings.Add(finding);

    public async Task<(HttpStatusCode Status, string Body)> GetAsync(string path)
    {
        using HttpResponseMessage response = await Http.GetAsync(path);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public async Task<(HttpStatusCode Status, string Body)> PostAsync(string path, JsonNode body)
    {
        using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using HttpResponseMessage response = await Http.PostAsync(path, content);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The status and the first event of a stream (SSE), or its whole body when it is not one.</summary>
    public async Task<(HttpStatusCode Status, string Body)> FirstEventsAsync(string path, Func<string, bool> enough)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using HttpResponseMessage response = await Http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        if (response.Content.Headers.ContentType?.MediaType != "text/event-stream")
        {
            return (response.StatusCode, await response.Content.ReadAsStringAsync(timeout.Token));
        }
        await using Stream stream = await response.Content.ReadAsStreamAsync(timeout.Token);
        var text = new StringBuilder();
        byte[] buffer = new byte[16 * 1024];
        while (!enough(text.ToString()))
        {
            int read = await stream.ReadAsync(buffer, timeout.Token);
            if (read == 0)
            {
                break;
            }
            text.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }
        return (response.StatusCode, text.ToString());
    }

    private static string Short(string text) => text.Length > 400 ? text[..400] + "…" : text;

    public void Dispose() => Http.Dispose();
}
