using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Tether.Server;
using Tether.Server.PostgreSql;

namespace Tether.Bench;

/// <summary>The child processes of the <c>postgres-burn</c> scenario, each started under <c>taskset</c> by
/// <see cref="BurnLoad"/>: a node of the issue tracker with <see cref="BurnMutator"/>, or the per-core floor.</summary>
internal static class BurnNode
{
    public const string NodeMode = "node";
    public const string FloorMode = "burn-floor";

    /// <summary>Runs one node on <paramref name="connection"/> until its standard input closes. Prints
    /// <c>listening</c> and its address once it serves; <c>GET /bench/meters</c> answers its own meters.</summary>
    public static async Task RunNodeAsync(string connection, int writers)
    {
        using var meters = new BenchMeters();
        await using LoopbackServer server = await LoopbackServer.StartAsync(
            Path.Combine(Path.GetTempPath(), "tether-bench-unused.db"),
            connection,
            postgresWriters: writers,
            extend: tether => tether.AddMutators([new BurnMutator()]),
            map: app => app.MapGet("/bench/meters", (PostgreSqlTetherStore store) => Results.Json(new NodeMeters(meters.Commits, meters.Conflicts, store.Writers))));
        Console.WriteLine("listening " + server.Address);
        await Console.In.ReadToEndAsync();
    }

    /// <summary>Prints how many times per second <see cref="BurnMutator.Burn"/> runs back to back on this process's
    /// CPUs for <paramref name="duration"/>.</summary>
    public static void RunFloor(TimeSpan duration)
    {
        long burns = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            BurnMutator.Burn();
            burns++;
        }
        Console.WriteLine((burns / clock.Elapsed.TotalSeconds).ToString("F1", CultureInfo.InvariantCulture));
    }
}

/// <summary>What a child node's <c>/bench/meters</c> answers.</summary>
internal sealed record NodeMeters(long Commits, long Conflicts, int Writers);
