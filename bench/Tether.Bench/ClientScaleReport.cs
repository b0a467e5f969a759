using System.Globalization;

namespace Tether.Bench;

/// <summary>One edit push (one or many mutations) and when the client showed it, in ms from the frame's arrival
/// (and from the editor's push answer, which may come after the frame: then it is negative).</summary>
internal sealed record EditTiming(double ArrivalToFirstShowingMs, double ArrivalToAllShowingMs, double ArrivalToLastChangedMs, double AnsweredToAllShowingMs, int SyncFrames, int Actions, int ChangedHandlers);

/// <summary>The figures of one record count.</summary>
internal sealed record ClientScaleFigures(
    int Issues,
    int Records,
    double BootstrapRowsPerSecond,
    double FloorRowsPerSecond,
    double JsonBytesPerRecord,
    double HeapBytesPerRecordWithoutQueries,
    double HeapBytesPerRecordWithQueries,
    int Queries,
    string LatencyStore,
    IReadOnlyList<EditTiming> Edits,
    IReadOnlyList<EditTiming> Frames,
    string LoadAverage);

/// <summary>Prints the client-scale figures as markdown tables.</summary>
internal static class ClientScaleReport
{
    public static void Print(IReadOnlyList<ClientScaleFigures> runs)
    {
        int queries = runs.Max(r => r.Queries);
        Console.WriteLine();
        Console.WriteLine("Eager bootstrap into a SQLite local store, end to end (client started until CatchingUp with every row), against the raw insert floor of the same rows in the same run.");
        Console.WriteLine("| issues | records | client rows/s | raw insert floor rows/s | x floor | load |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---|");
        foreach (ClientScaleFigures run in runs)
        {
            Console.WriteLine(Row(run.Issues, run.Records, F0(run.BootstrapRowsPerSecond), F0(run.FloorRowsPerSecond), F3(run.BootstrapRowsPerSecond / run.FloorRowsPerSecond), run.LoadAverage));
        }

        Console.WriteLine();
        Console.WriteLine($"Managed heap per record held (SQLite client; full compacting GC, vs the same process before the client started), next to the records' JSON (UTF-8 bytes per record).");
        Console.WriteLine($"| issues | JSON B/record | heap B/record, no query | x JSON | heap B/record, {queries} queries open | x JSON |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|");
        foreach (ClientScaleFigures run in runs)
        {
            Console.WriteLine(Row(run.Issues, F0(run.JsonBytesPerRecord), F0(run.HeapBytesPerRecordWithoutQueries), F2(run.HeapBytesPerRecordWithoutQueries / run.JsonBytesPerRecord),
                F0(run.HeapBytesPerRecordWithQueries), F2(run.HeapBytesPerRecordWithQueries / run.JsonBytesPerRecord)));
        }

        Console.WriteLine();
        Console.WriteLine($"Another user edits one issue per push (title or status) while {queries} live queries are open; ms on the client from the frame's arrival until the Changed handler of every query that shows the edit ran (\"first\": the first of them), and from the editor's push answer.");
        Console.WriteLine("| issues | store | edits | p50 | p95 | p99 | first p50 | from push answer p50 | p95 | p99 | Changed handlers per edit | sync frames per push |");
        Console.WriteLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (ClientScaleFigures run in runs)
        {
            IReadOnlyList<EditTiming> e = run.Edits;
            double[] all = [.. e.Select(t => t.ArrivalToAllShowingMs)];
            double[] answered = [.. e.Select(t => t.AnsweredToAllShowingMs)];
            Console.WriteLine(Row(run.Issues, run.LatencyStore, e.Count, F1(Percentile(all, 0.50)), F1(Percentile(all, 0.95)), F1(Percentile(all, 0.99)),
                F1(Percentile([.. e.Select(t => t.ArrivalToFirstShowingMs)], 0.50)),
                F1(Percentile(answered, 0.50)), F1(Percentile(answered, 0.95)), F1(Percentile(answered, 0.99)),
                F1(e.Average(t => t.ChangedHandlers)), e.Max(t => t.SyncFrames)));
        }

        Console.WriteLine();
        Console.WriteLine($"Another user pushes 100 mutations at once (one sync frame); ms on the client from the frame's arrival until the last Changed handler of the {queries} queries ran.");
        Console.WriteLine("| issues | store | frames | actions per frame | p50 | p95 | max | Changed handlers per frame | sync frames per push |");
        Console.WriteLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (ClientScaleFigures run in runs)
        {
            IReadOnlyList<EditTiming> f = run.Frames;
            double[] last = [.. f.Select(t => t.ArrivalToLastChangedMs)];
            Console.WriteLine(Row(run.Issues, run.LatencyStore, f.Count, F0(f.Average(t => (double)t.Actions / t.SyncFrames)), F1(Percentile(last, 0.50)), F1(Percentile(last, 0.95)), F1(last.Max()),
                F1(f.Average(t => t.ChangedHandlers)), f.Max(t => t.SyncFrames)));
        }
    }

    /// <summary>Nearest rank.</summary>
    internal static double Percentile(double[] values, double p)
    {
        double[] sorted = [.. values.Order()];
        return sorted[Math.Max(0, (int)Math.Ceiling(p * sorted.Length) - 1)];
    }

    private static string Row(params object[] cells) => "| " + string.Join(" | ", cells.Select(c => Convert.ToString(c, CultureInfo.InvariantCulture))) + " |";

    private static string F0(double value) => value.ToString("F0", CultureInfo.InvariantCulture);

    private static string F1(double value) => value.ToString("F1", CultureInfo.InvariantCulture);

    private static string F2(double value) => value.ToString("F2", CultureInfo.InvariantCulture);

    private static string F3(double value) => value.ToString("F3", CultureInfo.InvariantCulture);
}
