using System.Globalization;
using Tether.Bench;

// Usage: dotnet run -c Release --project bench/Tether.Bench -- [push|bootstrap|livestore|fairness|all] [seconds per push run] [client counts] [bootstrap rows]
//    or: dotnet run -c Release --project bench/Tether.Bench -- idle [connection counts, default 1000,10000] [kinds, default all]
//    or: dotnet run -c Release --project bench/Tether.Bench -- local-store [rows, default 100000] [rounds, default 3]
//    or: dotnet run -c Release --project bench/Tether.Bench -- client-scale [issue counts, default 10000,100000] [edits, default 200] [100-action frames, default 50] [store of the edited client: memory (default) or sqlite]
//    or: dotnet run -c Release --project bench/Tether.Bench -- client-scale-browser [issue counts, default 100000] [edits, default 30] [published sample server directory, default: publish into a temporary one]
//    or: dotnet run -c Release --project bench/Tether.Bench -- server-bootstrap|server-bootstrap-postgres [issues, default 100000]
//    or: dotnet run -c Release --project bench/Tether.Bench -- loco-catch-up [issues, default 100000]
//        the Loco Sync adapter's eager bootstrap and delta over the whole log, against the same requests read raw in
//        the same Node process (needs Node 20+ and clients/loco-sync built)
// Issue 15 on the PostgreSQL server of TETHER_POSTGRES (fsync as the server has it; printed), each part against a floor
// of the same run; postgres runs all three parts, postgres-push|postgres-latency|postgres-burn one:
//    or: dotnet run -c Release --project bench/Tether.Bench -- postgres[-push|-latency|-burn] [seconds per run, default 4] [client counts, default 64,256] [writers per node, default 4]
//        push: durable pushes/s of createIssue through 1, 2 and 3 nodes (in this process) against raw single-row
//        commits/s, with the commits' conflicts and mutations per commit; latency: 200 pushes/s over 2 nodes, each
//        timed from its send to its live frame on the other node; burn: a 1 ms CPU mutator through 1 and 2 nodes, each
//        a child process pinned to its own core (taskset), against the spin alone on one core
// The app's own EF Core tables as the store (issue 14), each against the built-in JSON store in the same run, SQLite
// or, with -postgres, the PostgreSQL server of TETHER_POSTGRES:
//    or: dotnet run -c Release --project bench/Tether.Bench -- ef-push|ef-push-postgres [seconds per run, default 3] [client counts, default 1,8,32,64]
//        durable pushes/s of createIssue on the built-in store and on UseEntityFramework, and EF / built-in
//    or: dotnet run -c Release --project bench/Tether.Bench -- ef-savechanges|ef-savechanges-postgres [seconds per run, default 3] [client counts, default 1,8,32,64]
//        the app's own POST /api/issues (SaveChanges in the request's context) per second with the capture on and
//        off, against each other and against the built-in store's durable pushes/s of the same issue
//    or: dotnet run -c Release --project bench/Tether.Bench -- ef-bootstrap|ef-bootstrap-postgres [issues, default 100000] [team (default) or team-id]
//        eager bootstrap rows/s from the app's table and from the built-in store, each next to its raw-read floor;
//        the app's table has an index on TeamId, and with team-id one on (TeamId, Id) as well
//    or: dotnet run -c Release --project bench/Tether.Bench -- ef-read-steps|ef-read-steps-postgres [issues, default 100000] [team (default) or team-id]
//        where a bootstrap from the app's table spends its time: the same rows read raw, filtered, as typed values,
//        as EF Core entities and as their JSON, no server; team-id adds an index on (TeamId, Id)
//    or: dotnet run -c Release --project bench/Tether.Bench -- sequencer [rows, default 100000] [rows per transaction, default 1,10,100]
//        the PostgreSQL sequencer's ceiling (actions/s it writes from a backlog in its slot) against the rows' own
//        write rate, on the server of TETHER_POSTGRES
string scenario = args.Length > 0 ? args[0] : "all";
if (scenario == BurnNode.NodeMode)
{
    await BurnNode.RunNodeAsync(args[1], int.Parse(args[2], CultureInfo.InvariantCulture));
    return;
}
if (scenario == BurnNode.FloorMode)
{
    BurnNode.RunFloor(TimeSpan.FromSeconds(double.Parse(args[1], CultureInfo.InvariantCulture)));
    return;
}
if (scenario is "postgres" or "postgres-push" or "postgres-latency" or "postgres-burn")
{
    await ScratchDirectory.RunAsync(async pgDirectory =>
    {
        await PostgresScenarios.RunAsync(
            pgDirectory,
            scenario == "postgres" ? new HashSet<string> { "push", "latency", "burn" } : [scenario["postgres-".Length..]],
            TimeSpan.FromSeconds(args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 4),
            args.Length > 2 ? [.. args[2].Split(',').Select(int.Parse)] : [64, 256],
            args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 4);
    });
    return;
}
if (scenario == "sequencer")
{
    string server = Environment.GetEnvironmentVariable("TETHER_POSTGRES")
        ?? throw new InvalidOperationException("Set TETHER_POSTGRES to a PostgreSQL server with wal_level=logical (e.g. Host=127.0.0.1;Port=54329;Username=tether;Database=postgres).");
    int rows = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100_000;
    int[] sizes = args.Length > 2 ? [.. args[2].Split(',').Select(int.Parse)] : [1, 10, 100];
    Console.WriteLine("The sequencer's ceiling: rows written by SQL with no sequencer running, then sequenced from the slot.");
    Console.WriteLine("| rows | rows per transaction | rows written/s (floor) | actions sequenced/s | x floor |");
    Console.WriteLine("|---:|---:|---:|---:|---:|");
    foreach (int size in sizes)
    {
        await SequencerCeiling.RunAsync(server, rows, size);
    }
    return;
}
if (scenario == IdleServer.Mode)
{
    await IdleServer.RunAsync(args[1], TimeSpan.FromSeconds(double.Parse(args[2], CultureInfo.InvariantCulture)));
    return;
}
if (scenario == "idle")
{
    int[] counts = args.Length > 1 ? [.. args[1].Split(',').Select(int.Parse)] : [1_000, 10_000];
    string[] kinds = args.Length > 2 ? args[2].Split(',') : IdleConnections.Kinds;
    Console.WriteLine("Server memory per idle connection (server in a child process; managed heap after a full compacting GC; KB).");
    Console.WriteLine("| connections | kind | KB each, open | KB each, after traffic | x floor | working set KB each |");
    Console.WriteLine("|---:|---|---:|---:|---:|---:|");
    foreach (int count in counts)
    {
        var floors = new Dictionary<string, double>();
        foreach (string kind in kinds)
        {
            IdleFigures figures = await IdleConnections.RunAsync(kind, count);
            string floorKind = kind is "sse" or "floor-sse" ? "floor-sse" : "floor-ws";
            if (kind == floorKind)
            {
                floors[kind] = figures.ManagedKbAfterTraffic;
            }
            string ratio = floors.TryGetValue(floorKind, out double floor) && floor > 0 ? (figures.ManagedKbAfterTraffic / floor).ToString("F1", CultureInfo.InvariantCulture) : "-";
            Console.WriteLine($"| {count} | {kind} | {figures.ManagedKbOpen:F1} | {figures.ManagedKbAfterTraffic:F1} | {ratio} | {figures.WorkingSetKbAfterTraffic:F1} |");
        }
    }
    return;
}
if (scenario == "local-store")
{
    await ScratchDirectory.RunAsync(async storeDirectory =>
    {
        await LocalStoreBulk.RunAsync(
            storeDirectory,
            args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100_000,
            args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3);
    });
    return;
}
if (scenario == "client-scale")
{
    int[] counts = args.Length > 1 ? [.. args[1].Split(',').Select(int.Parse)] : [10_000, 100_000];
    int edits = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 200;
    int frames = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 50;
    bool sqlite = args.Length > 4 && args[4] == "sqlite";
    await ScratchDirectory.RunAsync(async scaleDirectory =>
    {
        Console.WriteLine($"client-scale: load average at start {ClientScale.LoadAverage()}");
        var runs = new List<ClientScaleFigures>();
        foreach (int count in counts)
        {
            runs.Add(await ClientScale.RunAsync(scaleDirectory, count, edits, frames, sqlite));
        }
        ClientScaleReport.Print(runs);
    });
    return;
}
if (scenario == "client-scale-browser")
{
    int[] counts = args.Length > 1 ? [.. args[1].Split(',').Select(int.Parse)] : [100_000];
    int edits = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 30;
    string? published = args.Length > 3 ? Path.GetFullPath(args[3]) : null;
    string publishDirectory = Path.Combine(Path.GetTempPath(), "tether-bench-published-" + Guid.NewGuid().ToString("N"));
    try
    {
        Console.WriteLine($"client-scale-browser: load average at start {ClientScale.LoadAverage()}");
        string serverDll = published is not null ? Path.Combine(published, "IssueTracker.Server.dll") : await PublishedSample.PublishAsync(publishDirectory);
        var runs = new List<ClientScaleBrowserFigures>();
        foreach (int count in counts)
        {
            runs.Add(await ClientScaleBrowser.RunAsync(serverDll, count, edits));
        }
        ClientScaleBrowser.Print(runs);
    }
    finally
    {
        if (Directory.Exists(publishDirectory))
        {
            Directory.Delete(publishDirectory, recursive: true);
        }
    }
    return;
}
if (scenario is "server-bootstrap" or "server-bootstrap-postgres")
{
    int issues = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100_000;
    string? postgres = scenario == "server-bootstrap" ? null : Environment.GetEnvironmentVariable("TETHER_POSTGRES")
        ?? throw new InvalidOperationException("Set TETHER_POSTGRES to a PostgreSQL server (e.g. Host=127.0.0.1;Port=54329;Username=tether;Database=postgres).");
    await ScratchDirectory.RunAsync(scratch => ServerBootstrap.RunAsync(scratch, issues, postgres));
    return;
}
if (scenario == "loco-catch-up")
{
    int issues = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100_000;
    await ScratchDirectory.RunAsync(scratch => LocoCatchUp.RunAsync(scratch, issues));
    return;
}
if (scenario.StartsWith("ef-", StringComparison.Ordinal))
{
    bool onPostgres = scenario.EndsWith("-postgres", StringComparison.Ordinal);
    string? efPostgres = onPostgres
        ? Environment.GetEnvironmentVariable("TETHER_POSTGRES") ?? throw new InvalidOperationException("Set TETHER_POSTGRES to a PostgreSQL server (e.g. Host=127.0.0.1;Port=54329;Username=tether;Database=postgres).")
        : null;
    await ScratchDirectory.RunAsync(async efDirectory =>
    {
        TimeSpan efDuration = TimeSpan.FromSeconds(args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 3);
        switch (onPostgres ? scenario[..^"-postgres".Length] : scenario)
        {
            case "ef-push":
                await EfScenarios.PushAsync(efDirectory, efPostgres, efDuration, EfScenarios.ClientCounts(args, 2));
                break;
            case "ef-savechanges":
                await EfScenarios.SaveChangesAsync(efDirectory, efPostgres, efDuration, EfScenarios.ClientCounts(args, 2));
                break;
            case "ef-bootstrap":
                await EfScenarios.BootstrapAsync(efDirectory, efPostgres, args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100_000, args.Length > 2 && args[2] == "team-id");
                break;
            case "ef-read-steps":
                await EfReadSteps.RunAsync(efDirectory, efPostgres, args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100_000, args.Length > 2 && args[2] == "team-id", rounds: 5);
                break;
            default:
                throw new ArgumentException($"Unknown scenario '{scenario}'.");
        }
    });
    return;
}
double seconds = args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 5;
int[] clientCounts = args.Length > 2 ? [.. args[2].Split(',').Select(int.Parse)] : [1, 8, 32, 64];
int bootstrapRows = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 100_000;
TimeSpan duration = TimeSpan.FromSeconds(seconds);
string directory = Path.Combine(Path.GetTempPath(), "tether-bench-" + Guid.NewGuid().ToString("N"));
Directory.CreateDirectory(directory);
try
{
    double rawCommits = RawSqlite.CommitsPerSecond(directory, duration);
    double rawInserts = RawSqlite.InsertsPerSecond(directory, 200_000);
    Console.WriteLine("Floors on this machine (SQLite WAL, synchronous=FULL):");
    Console.WriteLine($"  raw single-row commits/s: {rawCommits:F0}");
    Console.WriteLine($"  raw inserts/s in one transaction: {rawInserts:F0}");
    if (scenario is "push" or "all")
    {
        Console.WriteLine();
        Console.WriteLine("| clients | durable pushes/s | x raw commit rate | mutations per commit |");
        Console.WriteLine("|---:|---:|---:|---:|");
        foreach (int clients in clientCounts)
        {
            PushFigures figures = await PushLoad.RunAsync(directory, clients, duration);
            Console.WriteLine($"| {clients} | {figures.PushesPerSecond:F0} | {figures.PushesPerSecond / rawCommits:F2} | {figures.MutationsPerCommit:F1} |");
        }
    }
    if (scenario is "bootstrap" or "all")
    {
        double rowsPerSecond = await ClientBootstrap.RowsPerSecondAsync(directory, bootstrapRows);
        Console.WriteLine();
        Console.WriteLine($"Client eager bootstrap of {bootstrapRows} issues into SQLite: {rowsPerSecond:F0} rows/s = {rowsPerSecond / rawInserts:F3} x raw insert rate");
    }
    if (scenario is "livestore" or "all")
    {
        Console.WriteLine();
        Console.WriteLine("LiveStore: one writer pushes batches of 50 events (each waits for its ack) while N live pulls receive them.");
        Console.WriteLine("| live subscribers | echo round trips/s (floor) | pushes/s | x echo | events pushed/s | events delivered/s (all subscribers) |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|");
        foreach (int subscribers in clientCounts)
        {
            LiveStoreFigures figures = await LiveStoreLoad.RunAsync(directory, subscribers, duration);
            Console.WriteLine($"| {subscribers} | {figures.EchoRoundTripsPerSecond:F0} | {figures.PushesPerSecond:F0} | {figures.PushesPerSecond / figures.EchoRoundTripsPerSecond:F3} | {figures.EventsPushedPerSecond:F0} | {figures.EventsDeliveredPerSecond:F0} |");
        }
    }
    if (scenario is "fairness" or "all")
    {
        Console.WriteLine();
        Console.WriteLine("Fairness: 8 users push one createIssue per request while flooders push batches of 1,000 createTeam (each changes the flooder's groups).");
        Console.WriteLine("| flooders | light pushes | p50 ms | p99 ms | max ms | x p99 without flooders | flood mutations/s |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|");
        FairnessFigures? floor = null;
        foreach (int flooders in new[] { 0, 1, 8 })
        {
            FairnessFigures figures = await FairnessLoad.RunAsync(directory, flooders, lightUsers: 8, duration);
            floor ??= figures;
            Console.WriteLine($"| {flooders} | {figures.Pushes} | {figures.P50Ms:F1} | {figures.P99Ms:F1} | {figures.MaxMs:F1} | {figures.P99Ms / floor.P99Ms:F1} | {figures.FloodMutations / seconds:F0} |");
        }
    }
    if (scenario == "all" && Environment.GetEnvironmentVariable("TETHER_POSTGRES") is not null)
    {
        Console.WriteLine();
        await PostgresScenarios.RunAsync(directory, new HashSet<string> { "push", "latency", "burn" }, duration, [64, 256], writers: 4);
    }
}
finally
{
    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    Directory.Delete(directory, recursive: true);
}
