using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace Tether.Tool;

/// <summary>
/// <c>tether load</c>: virtual clients that each push one mutation at a time for a while, with a live display of
/// pushes/s and answer latency, and a summary at the end. The mutation's arguments are a JSON template where
/// <c>{id}</c> becomes a new unique id and <c>{n}</c> the push's number, so that every push writes something new.
/// </summary>
internal static class LoadCommand
{
    public static Command Build(Option<Uri> server, Option<string> token)
    {
        var clients = new Option<int>("--clients") { Description = "Virtual clients pushing at once", DefaultValueFactory = _ => 16 };
        var seconds = new Option<int>("--seconds") { Description = "How long to push", DefaultValueFactory = _ => 10 };
        var users = new Option<int>("--users") { Description = "Users the clients are spread over (dev:load-<n> tokens), unless --token is given", DefaultValueFactory = _ => 16 };
        var mutation = new Option<string>("--mutation") { Description = "The mutator to run", DefaultValueFactory = _ => "createTeam" };
        var args = new Option<string>("--args") { Description = "The mutation's arguments: JSON with {id} and {n} filled in", DefaultValueFactory = _ => """{"id":"{id}","name":"Load {n}"}""" };
        var command = new Command("load", "Pushes mutations from many clients and shows pushes/s and latency as it runs.")
        {
            Options = { clients, seconds, users, mutation, args },
        };
        command.SetAction((parse, ct) => TetherCommands.RunAsync(() => RunAsync(
            parse.GetValue(server)!, parse.GetValue(token)!, new LoadPlan(
                Math.Max(1, parse.GetValue(clients)), TimeSpan.FromSeconds(Math.Max(1, parse.GetValue(seconds))), Math.Max(1, parse.GetValue(users)),
                parse.GetValue(mutation)!, parse.GetValue(args)!), ct)));
        return command;
    }

    private sealed record LoadPlan(int Clients, TimeSpan Duration, int Users, string Mutation, string ArgsTemplate);

    private static async Task RunAsync(Uri server, string token, LoadPlan plan, CancellationToken cancellationToken)
    {
        if (ParsedArgs(plan.ArgsTemplate) is not JsonObject)
        {
            throw new ToolException("--args must be a JSON object.");
        }
        var figures = new LoadFigures();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stop.CancelAfter(plan.Duration);
        var started = Stopwatch.StartNew();
        Task[] pushers = [.. Enumerable.Range(0, plan.Clients).Select(i => PushAsync(server, token.Length > 0 ? token : $"dev:load-{i % plan.Users}", plan, figures, stop.Token))];
        Task all = Task.WhenAll(pushers);
        await AnsiConsole.Live(Table(figures, started.Elapsed)).StartAsync(async live =>
        {
            while (!all.IsCompleted)
            {
                await Task.WhenAny(all, Task.Delay(500, CancellationToken.None));
                live.UpdateTarget(Table(figures, started.Elapsed));
            }
        });
        await all;
        if (figures.Failure is { } failure && figures.AnsweredCount == 0)
        {
            throw new ToolException("No push was answered: " + failure);
        }
    }

    private static async Task PushAsync(Uri server, string token, LoadPlan plan, LoadFigures figures, CancellationToken stop)
    {
        using var admin = new AdminClient(server, token);
        string clientId = "load-" + Guid.NewGuid().ToString("N");
        for (long mutationId = 1; !stop.IsCancellationRequested; mutationId++)
        {
            var push = new JsonObject
            {
                ["clientId"] = clientId,
                ["mutations"] = new JsonArray(new JsonObject
                {
                    ["id"] = mutationId,
                    ["name"] = plan.Mutation,
                    ["args"] = JsonNode.Parse(Fill(plan.ArgsTemplate, figures.NextNumber())),
                }),
            };
            long begun = Stopwatch.GetTimestamp();
            try
            {
                using HttpResponseMessage response = await admin.Http.PostAsJsonAsync("push", push, stop);
                string body = await response.Content.ReadAsStringAsync(stop);
                if (!response.IsSuccessStatusCode)
                {
                    figures.Failed($"{(int)response.StatusCode} {AdminClient.ErrorMessage(body)}");
                    continue;
                }
                string? status = JsonNode.Parse(body)?["results"]?[0]?["status"]?.GetValue<string>();
                figures.Record(Stopwatch.GetElapsedTime(begun), refused: status != "applied");
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (HttpRequestException e)
            {
                figures.Failed(e.Message);
            }
        }
    }

    private static JsonNode? ParsedArgs(string template)
    {
        try
        {
            return JsonNode.Parse(Fill(template, 0));
        }
        catch (JsonException e)
        {
            throw new ToolException("--args is not JSON: " + e.Message);
        }
    }

    private static string Fill(string template, long number)
        => template.Replace("{id}", Guid.NewGuid().ToString("N"), StringComparison.Ordinal)
            .Replace("{n}", number.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);

    private static Table Table(LoadFigures figures, TimeSpan elapsed)
    {
        LoadFigures.Snapshot now = figures.Take();
        double seconds = Math.Max(elapsed.TotalSeconds, 0.001);
        var table = new Table().AddColumns("pushes", "pushes/s", "p50 ms", "p95 ms", "p99 ms", "refused", "failed", "elapsed s");
        table.AddRow(
            now.Answered.ToString(CultureInfo.InvariantCulture),
            (now.Answered / seconds).ToString("F0", CultureInfo.InvariantCulture),
            now.Percentile(0.50), now.Percentile(0.95), now.Percentile(0.99),
            now.Refused.ToString(CultureInfo.InvariantCulture),
            now.Failures.ToString(CultureInfo.InvariantCulture),
            seconds.ToString("F1", CultureInfo.InvariantCulture));
        if (now.LastFailure is { } failure)
        {
            table.Caption(Markup.Escape("last failure: " + failure));
        }
        return table;
    }
}

/// <summary>What the virtual clients saw, shared between them and the display.</summary>
internal sealed class LoadFigures
{
    private readonly Lock _lock = new();
    private readonly List<double> _latencies = [];
    private long _number;
    private long _refused;
    private long _failures;
    private string? _lastFailure;

    public long AnsweredCount
    {
        get
        {
            lock (_lock)
            {
                return _latencies.Count;
            }
        }
    }

    public string? Failure
    {
        get
        {
            lock (_lock)
            {
                return _lastFailure;
            }
        }
    }

    public long NextNumber() => Interlocked.Increment(ref _number);

    public void Record(TimeSpan latency, bool refused)
    {
        lock (_lock)
        {
            _latencies.Add(latency.TotalMilliseconds);
            _refused += refused ? 1 : 0;
        }
    }

    public void Failed(string why)
    {
        lock (_lock)
        {
            _failures++;
            _lastFailure = why;
        }
    }

    public Snapshot Take()
    {
        lock (_lock)
        {
            return new Snapshot([.. _latencies.Order()], _refused, _failures, _lastFailure);
        }
    }

    /// <summary>The figures at one moment, the latencies sorted (milliseconds).</summary>
    public sealed record Snapshot(double[] SortedLatencies, long Refused, long Failures, string? LastFailure)
    {
        public long Answered => SortedLatencies.Length;

        public string Percentile(double p) => SortedLatencies.Length == 0
            ? "-"
            : SortedLatencies[Math.Min(SortedLatencies.Length - 1, (int)(p * SortedLatencies.Length))].ToString("F1", CultureInfo.InvariantCulture);
    }
}
