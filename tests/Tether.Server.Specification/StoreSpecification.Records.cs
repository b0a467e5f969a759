using Tether.Mutators;
using Tether.Server.Storage;

namespace Tether.Server.Specification;

/// <summary>Records and their groups: what mutators, group resolvers, bootstrap and front ends read.</summary>
public abstract partial class StoreSpecification
{
    [Fact]
    public async Task A_record_put_again_replaces_its_data_and_its_groups()
    {
        ITetherStore store = await OpenAsync();
        await CommitAsync(store, head => new WriteBatch { Records = [PutJson("i1", """{"id":"i1","title":"first"}""", "team:1", "user:7")] });
        await CommitAsync(store, head => new WriteBatch { Records = [PutJson("i1", """{"id":"i1","title":"second"}""", "user:7", "team:2")] });

        await using ITetherReadSnapshot snapshot = await store.BeginReadAsync(Ct);
        Tether.Mutators.Record? record = await snapshot.GetRecordAsync("issue", "i1", Ct);
        Assert.NotNull(record);
        Assert.Equal(("issue", "i1", "second"), (record.ModelName, record.Id, (string?)record.Data["title"]));
        Assert.Equal(["team:2", "user:7"], record.SyncGroups);
        Assert.Empty(await snapshot.ListRecordsAsync("issue", "team:1", Ct));
        Assert.Single(await snapshot.ListRecordsAsync("issue", "team:2", Ct));
        Assert.Single(await snapshot.ListRecordsAsync("issue", "user:7", Ct));
    }

    [Fact]
    public async Task A_deleted_record_is_gone_with_its_group_links_and_comes_back_only_in_its_new_groups()
    {
        ITetherStore store = await OpenAsync();
        await CommitAsync(store, head => new WriteBatch { Records = [Put("i1", "team:1"), Put("i2", "team:1")] });
        await CommitAsync(store, head => new WriteBatch { Records = [Delete("i1")] });

        await using (ITetherReadSnapshot snapshot = await store.BeginReadAsync(Ct))
        {
            Assert.Null(await snapshot.GetRecordAsync("issue", "i1", Ct));
            Assert.Equal(["i2"], (await snapshot.ListRecordsAsync("issue", "team:1", Ct)).Select(r => r.Id));
            Assert.Equal(["i2"], (await ToListAsync(snapshot.ReadRecords(["issue"], ["team:1"]))).Select(r => r.Id));
        }

        await CommitAsync(store, head => new WriteBatch { Records = [Put("i1", "team:2")] });
        await using ITetherReadSnapshot after = await store.BeginReadAsync(Ct);
        Assert.Equal(["i2"], (await after.ListRecordsAsync("issue", "team:1", Ct)).Select(r => r.Id));
        Assert.Equal(["team:2"], (await after.GetRecordAsync("issue", "i1", Ct))?.SyncGroups);
    }

    [Fact]
    public async Task Records_of_a_group_are_listed_by_the_byte_order_of_their_ids()
    {
        // UTF-8 byte order is code point order: U+E000 comes before U+1D11E, which UTF-16 ordinal order puts first.
        string[] ids = ["b", "a", "B", "é", "\uE000", "\U0001D11E", "a0", "z"];
        ITetherStore store = await OpenAsync();
        await CommitAsync(store, head => new WriteBatch { Records = [.. ids.Select(id => Put(id, "team:1"))] });

        await using ITetherReadSnapshot snapshot = await store.BeginReadAsync(Ct);
        string[] expected = ["B", "a", "a0", "b", "z", "é", "\uE000", "\U0001D11E"];
        Assert.Equal(expected, (await snapshot.ListRecordsAsync("issue", "team:1", Ct)).Select(r => r.Id));
        Assert.Equal(expected, (await ToListAsync(snapshot.ReadRecords(["issue"], ["team:1"]))).Select(r => r.Id));
        Assert.Equal(expected[3..], (await ToListAsync(snapshot.ReadRecordsAfterAsync("issue", "team:1", "a0", Ct))).Select(r => r.Id));
    }

    [Fact]
    public async Task Bootstrap_reads_return_each_record_of_the_models_in_any_of_the_groups_once_by_model_then_id()
    {
        ITetherStore store = await OpenAsync();
        await CommitAsync(store, head => new WriteBatch
        {
            Records =
            [
                new RecordWrite("project", "p1", """{"id":"p1"}""", ["team:1"]),
                PutJson("i2", """{"id":"i2"}""", "team:1", "user:7"),
                Put("i1", "user:7"),
                Put("hidden", "team:9"),
                new RecordWrite("comment", "c1", """{"id":"c1"}""", ["team:1"]),
            ],
        });

        await using ITetherReadSnapshot snapshot = await store.BeginReadAsync(Ct);
        List<StoredRecord> rows = await ToListAsync(snapshot.ReadRecords(["project", "issue"], ["team:1", "user:7"]));

        Assert.Equal([("issue", "i1"), ("issue", "i2"), ("project", "p1")], rows.Select(r => (r.ModelName, r.Id)));
        Assert.Equal(IssueJson("i2", """{"id":"i2"}""", ["team:1", "user:7"]), rows[1].Data);
        Assert.Empty(await ToListAsync(snapshot.ReadRecords(["issue"], [])));
    }

    [Fact]
    public async Task Records_after_an_id_stream_one_model_and_group_in_id_order_from_that_id_on()
    {
        // Ids shaped like a front end's event log (a key, then a zero-padded sequence number), beside other records.
        ITetherStore store = await OpenAsync();
        await CommitAsync(store, head => new WriteBatch
        {
            Records =
            [
                .. Enumerable.Range(1, 250).Reverse().Select(seq => new RecordWrite("event", $"s:a/{seq:D19}", $$"""{"seq":{{seq}}}""", ["store:a"])),
                new RecordWrite("event", "s:b/0000000000000000001", """{"seq":1}""", ["store:b"]),
                new RecordWrite("state", "s:a/0000000000000000300", "{}", ["store:a"]),
            ],
        });

        await using ITetherReadSnapshot snapshot = await store.BeginReadAsync(Ct);
        List<StoredRecord> all = await ToListAsync(snapshot.ReadRecordsAfterAsync("event", "store:a", "s:a/", Ct));
        Assert.Equal(Enumerable.Range(1, 250).Select(seq => $"s:a/{seq:D19}"), all.Select(r => r.Id));
        Assert.All(all, r => Assert.Equal("event", r.ModelName));
        Assert.Equal("""{"seq":1}""", all[0].Data);
        List<StoredRecord> rest = await ToListAsync(snapshot.ReadRecordsAfterAsync("event", "store:a", $"s:a/{180:D19}", Ct));
        Assert.Equal(Enumerable.Range(181, 70).Select(seq => $"s:a/{seq:D19}"), rest.Select(r => r.Id));
        Assert.Empty(await ToListAsync(snapshot.ReadRecordsAfterAsync("event", "store:a", $"s:a/{250:D19}", Ct)));

        // A reader may stop early: the snapshot stays usable.
        await foreach (StoredRecord first in snapshot.ReadRecordsAfterAsync("event", "store:a", "s:a/", Ct))
        {
            Assert.Equal($"s:a/{1:D19}", first.Id);
            break;
        }
        Assert.Single(await ToListAsync(snapshot.ReadRecordsAfterAsync("event", "store:b", "", Ct)));
    }
}
