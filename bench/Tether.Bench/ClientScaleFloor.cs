using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace Tether.Bench;

/// <summary>A record as the client holds it: what the raw insert floor writes.</summary>
internal sealed record HeldRecord(string Model, string Id, string Data);

/// <summary>
/// The floor of a client bootstrap into SQLite: the same rows (same ids, same JSON) inserted by one prepared
/// single-row INSERT each into a bare <c>records</c> table keyed like a client store's, in one transaction, WAL,
/// synchronous=FULL. No parsing, no network: what SQLite itself needs for the rows.
/// </summary>
internal static class ClientScaleFloor
{
    public static double InsertsPerSecond(string path, IReadOnlyList<HeldRecord> records)
    {
        using SqliteConnection connection = RawRecords.Create(path);
        var clock = Stopwatch.StartNew();
        RawRecords.InsertAll(connection, records.Select(r => (r.Model, r.Id, r.Data)));
        return records.Count / clock.Elapsed.TotalSeconds;
    }
}
