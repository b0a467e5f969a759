using System.Globalization;
using static Tether.Client.Sqlite.Tests.StoreHarness;

namespace Tether.Client.Sqlite.Tests;

/// <summary>The in-memory store is the reference: the SQLite store must end up in the same state after any writes.</summary>
public sealed class EquivalenceTests : IAsyncDisposable
{
    private readonly StoreHarness _harness = new();

    public ValueTask DisposeAsync() => _harness.DisposeAsync();

    [Theory]
    [InlineData(1)]
    [InlineData(20240611)]
    public async Task The_same_writes_give_the_same_snapshot_as_the_in_memory_store(int seed)
    {
        var random = new Random(seed);
        await using var reference = new InMemoryLocalStore();
        var store = await _harness.OpenAsync();
        var stored = new SortedSet<long>();
        long nextMutationId = 1;
        var exercised = new Exercised();

        for (var step = 0; step < 300; step++)
        {
            var write = RandomWrite(random, stored, ref nextMutationId, exercised);
            await reference.WriteAsync(write, Ct);
            await store.WriteAsync(write, Ct);

            Snapshots.AssertSame(await reference.LoadAsync(Ct), await store.LoadAsync(Ct));
            if (step % 100 == 99)
            {
                store = await _harness.ReopenAsync(store);
                Snapshots.AssertSame(await reference.LoadAsync(Ct), await store.LoadAsync(Ct));
            }
        }

        var final = await store.LoadAsync(Ct);
        // The sequence exercised every kind of write the stores could disagree on, and left data, a queue and metadata.
        Assert.True(exercised.Clears > 0 && exercised.Deletes > 0 && exercised.RepeatsInOneWrite > 0 && exercised.AbsentRemovals > 0 && exercised.NullUsers > 0,
            $"the writes left a kind out: {exercised}");
        Assert.NotEmpty(final.Records);
        Assert.Equal(stored, final.Pending.Select(p => p.Id));
        Assert.NotNull(final.Metadata.ClientId);
    }

    /// <summary>How often the random writes did what a store could get wrong.</summary>
    private sealed record Exercised
    {
        public int Clears { get; set; }
        public int Deletes { get; set; }
        public int RepeatsInOneWrite { get; set; }
        public int AbsentRemovals { get; set; }
        public int NullUsers { get; set; }
    }

    private static LocalWrite RandomWrite(Random random, SortedSet<long> stored, ref long nextMutationId, Exercised exercised)
    {
        string[] models = ["issue", "team", "comment"];
        var records = new List<LocalRecordChange>();
        for (var i = random.Next(0, 9); i > 0; i--)
        {
            var model = models[random.Next(models.Length)];
            var id = random.Next(30).ToString(CultureInfo.InvariantCulture);
            var data = random.NextDouble() < 0.3 ? null : $$"""{"v":{{random.Next(1000)}},"s":"é\u00e8\"x"}""";
            if (data is null)
            {
                exercised.Deletes++;
            }
            else if (records.Any(r => r.ModelName == model && r.Id == id))
            {
                exercised.RepeatsInOneWrite++;
            }
            records.Add(new LocalRecordChange(model, id, data));
        }

        var add = new List<PendingMutation>();
        for (var i = random.Next(0, 4); i > 0; i--)
        {
            var id = nextMutationId++;
            add.Add(new PendingMutation(id, $"mutator{random.Next(5)}", $$"""{"n":{{random.Next(100)}}}"""));
        }

        var remove = new List<long>();
        for (var i = random.Next(0, 4); i > 0; i--)
        {
            // Mostly ids that are stored or being added now, sometimes ids that never existed or are long gone.
            var candidates = stored.Concat(add.Select(a => a.Id)).ToList();
            remove.Add(candidates.Count > 0 && random.NextDouble() < 0.8
                ? candidates[random.Next(candidates.Count)]
                : random.Next(1, (int)nextMutationId + 5));
        }

        foreach (var mutation in add)
        {
            stored.Add(mutation.Id);
        }

        foreach (var id in remove)
        {
            if (!stored.Remove(id))
            {
                exercised.AbsentRemovals++;
            }
        }

        LocalMetadata? metadata = null;
        if (random.NextDouble() < 0.4)
        {
            metadata = new LocalMetadata
            {
                ClientId = "client-1",
                UserId = random.NextDouble() < 0.2 ? null : $"user{random.Next(3)}",
                SchemaVersion = random.NextDouble() < 0.3 ? null : random.Next(1, 5),
                FirstSyncId = random.Next(0, 100),
                LastSyncId = random.Next(0, 10_000),
                SyncGroups = [.. Enumerable.Range(0, random.Next(0, 4)).Select(i => $"group:{random.Next(10)}")],
                NextMutationId = nextMutationId,
            };
        }

        exercised.NullUsers += metadata is { UserId: null } ? 1 : 0;
        bool clear = random.NextDouble() < 0.05;
        exercised.Clears += clear ? 1 : 0;
        return new LocalWrite
        {
            ClearRecords = clear,
            Records = records,
            AddPending = add,
            RemovePending = remove,
            Metadata = metadata,
        };
    }
}
