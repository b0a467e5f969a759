using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Tether.LiveStore;
using Tether.Robustness.Tests.Fuzz;
using Tether.Server.Tests.Harness;

namespace Tether.Robustness.Tests.Harness;

/// <summary>
/// One server per fuzz group: the test model on real Kestrel and SQLite, with a legitimate user's data on every
/// front end and the fuzz user's own team, project and issue (so that valid parts of bad requests reach the
/// mutators). Rate limits are set out of the fuzzer's way (a 429 would be a correct answer, but it would stop the
/// inputs from reaching the code under test); the fuzz user may administer LiveStore stores, so the admin endpoints
/// are fuzzed past their permission check.
/// </summary>
internal sealed class FuzzHost : IAsyncDisposable
{
    private readonly string _legitBefore;

    private FuzzHost(TestServer server, UserState legit, string legitBefore)
    {
        Server = server;
        Legit = legit;
        _legitBefore = legitBefore;
    }

    public TestServer Server { get; }
    public UserState Legit { get; }

    public static TestServerSettings Settings => new()
    {
        Tether = options =>
        {
            options.Limits.RequestsPerSecond = 1_000_000;
            options.Limits.RequestBurst = 1_000_000;
            // Off, so that the inputs reach the code behind the limits (which have tests of their own).
            options.Limits.MaxConnectionsPerUser = 0;
            options.Admins.Add(Templates.FuzzUser);
        },
        Builder = builder => builder.Services.Configure<LiveStoreOptions>(options =>
        {
            // A fuzzed socket may go a while between requests; the 0.4.0 client's orphan rule is not under test.
            options.FirstRequestTimeout = TimeSpan.FromMinutes(10);
            options.MaxStoresPerUser = 0;
            options.AuthorizeAdmin = context => ValueTask.FromResult(context.UserId == Templates.FuzzUser);
        }),
    };

    public static async Task<FuzzHost> StartAsync()
    {
        TestServer server = await TestServer.StartAsync(Settings);
        var legit = new UserState(server, "legit");
        await legit.SeedAsync();
        using SyncApi fuzzer = server.Api(Templates.FuzzUser);
        var seed = new Seed(fuzzer, "fuzz-setup");
        await seed.TeamWithProjectAsync("ft", "fp");
        await seed.IssueAsync("fi", "fp");
        return new FuzzHost(server, legit, await legit.SnapshotAsync());
    }

    /// <summary>One HTTP group on a server of its own: its inputs, then the checks of the host and the legitimate user.</summary>
    public static async Task RunHttpGroupAsync(string group, int groupSeed, Func<Random, int, HttpTemplate> template, TimeSpan? pendingIsAnswer = null)
    {
        await using FuzzHost host = await StartAsync();
        FuzzReport report = await host.FuzzHttpAsync(group, groupSeed, template, pendingIsAnswer);
        await host.CheckUnharmedAsync(report);
        report.AssertClean();
    }

    /// <summary>Sends the group's inputs (a template each, spoilt) one after another; returns the report.</summary>
    public async Task<FuzzReport> FuzzHttpAsync(string group, int groupSeed, Func<Random, int, HttpTemplate> template, TimeSpan? pendingIsAnswer = null)
    {
        int seed = FuzzSettings.Seed(groupSeed);
        var random = new Random(seed);
        var fuzz = new RequestFuzz(random);
        var report = new FuzzReport(group, seed);
        using var target = new HttpFuzzTarget(Server.BaseAddress, pendingIsAnswer);
        for (int i = 0; i < FuzzSettings.InputsPerGroup; i++)
        {
            FuzzRequest request = fuzz.Mutate(template(random, i));
            (string outcome, string? problem) = await target.SendAsync(request);
            report.Count(outcome);
            if (problem is not null)
            {
                report.Fail(i, request.Describe(), problem);
            }
        }
        HttpTemplate last = template(random, FuzzSettings.InputsPerGroup);
        if (last.Body is not null)
        {
            // One valid request whose body comes too slowly: a slow client's fault, answered 4xx.
            FuzzRequest slow = RequestFuzz.Slow(last);
            (string outcome, string? problem) = await SlowBodyProbe.SendAsync(Server.BaseAddress, slow);
            report.Count("slow " + outcome);
            if (problem is not null)
            {
                report.Fail(FuzzSettings.InputsPerGroup, slow.Describe(), problem);
            }
        }
        return report;
    }

    /// <summary>Half the group's inputs are spoilt upgrades (over HTTP, to see the refusals' bodies), half spoilt
    /// frames on open sockets.</summary>
    public async Task<FuzzReport> FuzzWebSocketAsync(
        string group, int groupSeed, Func<Random, int, HttpTemplate> upgrade, string pathAndQuery, string? subProtocol,
        Func<Random, int, JsonObject> frame, Func<string, string> sentinel, Func<JsonElement, string, bool> answersSentinel)
    {
        int seed = FuzzSettings.Seed(groupSeed);
        var random = new Random(seed);
        var requests = new RequestFuzz(random);
        var json = new JsonFuzz(random);
        var report = new FuzzReport(group, seed);
        using var http = new HttpFuzzTarget(Server.BaseAddress);
        var url = new Uri($"ws://127.0.0.1:{Server.BaseAddress.Port}{pathAndQuery}");
        await using var socket = new WebSocketFuzzTarget(url, subProtocol, sentinel, answersSentinel);
        for (int i = 0; i < FuzzSettings.InputsPerGroup; i++)
        {
            (string outcome, string? problem, string input) result;
            if (i % 2 == 0)
            {
                FuzzRequest request = requests.Mutate(upgrade(random, i));
                (string outcome, string? problem) = await http.SendAsync(request);
                result = ("upgrade " + outcome, problem, request.Describe());
            }
            else
            {
                (string strategy, byte[] bytes) = json.Mutate(frame(random, i));
                var fuzzFrame = new FuzzFrame(strategy, bytes, random.Next(20) == 0 ? WebSocketMessageType.Binary : WebSocketMessageType.Text, random.Next(5) == 0 ? random.Next(2, 4) : 1);
                (string outcome, string? problem) = await socket.SendAsync(fuzzFrame);
                result = ("frame " + outcome, problem, fuzzFrame.Describe());
            }
            report.Count(result.outcome);
            if (result.problem is not null)
            {
                report.Fail(i, result.input, result.problem);
            }
        }
        if (await socket.CloseAsync() is { } closeProblem)
        {
            report.Fail(closeProblem);
        }
        return report;
    }

    /// <summary>After a group: the host answers its health check as healthy, the legitimate user's data reads back
    /// the same through every front end, and the user can still write. Failures go into the report.</summary>
    public async Task CheckUnharmedAsync(FuzzReport report)
    {
        using var http = new HttpClient { BaseAddress = Server.BaseAddress };
        using HttpResponseMessage health = await http.GetAsync("/sync/health");
        string healthBody = await health.Content.ReadAsStringAsync();
        if (!health.IsSuccessStatusCode || !healthBody.Contains("\"Healthy\"", StringComparison.Ordinal))
        {
            report.Fail($"the health check answered {(int)health.StatusCode}: {healthBody}");
        }
        string after = await Legit.SnapshotAsync();
        if (after != _legitBefore)
        {
            report.Fail($"the legitimate user's data changed.\nBefore:\n{_legitBefore}\nAfter:\n{after}");
        }
        if (await Legit.PushOneMoreAsync() is { } pushProblem)
        {
            report.Fail("the legitimate user could not push: " + pushProblem);
        }
    }

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}
