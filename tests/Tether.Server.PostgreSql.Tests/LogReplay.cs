using System.Text.Json;
using Tether.Client;
using Tether.Server.Tests.Harness;

namespace Tether.Server.PostgreSql.Tests;

/// <summary>The records a client must hold, by replaying the actions a user sees, checked strictly: an insert only
/// of a record it does not hold, an update or delete only of one it does. A client that got an action twice, or
/// missed one, fails the check at the action that shows it.</summary>
internal sealed class LogReplay
{
    private readonly Dictionary<(string Model, string Id), JsonElement> _records;

    private LogReplay(Dictionary<(string Model, string Id), JsonElement> records, long at)
    {
        _records = records;
        At = at;
    }

    /// <summary>The syncId up to which the actions are applied.</summary>
    public long At { get; private set; }

    public IReadOnlyDictionary<(string Model, string Id), JsonElement> Records => _records;

    public static LogReplay Empty() => new([], 0);

    /// <summary>A bootstrap's records, placed at its syncId.</summary>
    public static LogReplay Of(BootstrapResult bootstrap) => new(new Dictionary<(string, string), JsonElement>(bootstrap.Rows), bootstrap.FirstSyncId);

    /// <summary>Applies the user's actions in (<see cref="At"/>, <paramref name="upTo"/>] read by delta from a node.</summary>
    public async Task ApplyAsync(SyncApi api, long upTo, string who)
    {
        while (At < upTo)
        {
            JsonElement page = await api.DeltaAsync(At, upTo);
            foreach (JsonElement action in page.Actions())
            {
                Apply(action, who);
            }
            At = page.LastSyncId();
        }
        Assert.Equal(upTo, At);
    }

    private void Apply(JsonElement action, string who)
    {
        Assert.True(action.SyncId() > At, $"{who}: action {action.SyncId()} came again at {At}");
        (string, string) key = (action.ModelName(), action.ModelId());
        switch (action.GetProperty("action").GetString())
        {
            case "insert":
                Assert.True(_records.TryAdd(key, action.GetProperty("data").Clone()), $"{who}: action {action.SyncId()} inserts {key}, which it already holds: applied twice");
                break;
            case "update":
                Assert.True(_records.ContainsKey(key), $"{who}: action {action.SyncId()} updates {key}, which it does not hold: an earlier action was missed");
                _records[key] = action.GetProperty("data").Clone();
                break;
            case "delete":
                Assert.True(_records.Remove(key), $"{who}: action {action.SyncId()} deletes {key}, which it does not hold: missed, or deleted twice");
                break;
            default:
                Assert.Fail($"{who}: unknown action {action}");
                break;
        }
    }

    /// <summary>Fails unless <paramref name="records"/> holds exactly these records, field for field.</summary>
    public void AssertSame(IReadOnlyDictionary<(string Model, string Id), JsonElement> records, string who)
    {
        string[] missing = [.. _records.Keys.Except(records.Keys).Select(k => $"{k.Model}/{k.Id}")];
        string[] extra = [.. records.Keys.Except(_records.Keys).Select(k => $"{k.Model}/{k.Id}")];
        Assert.True(missing.Length == 0 && extra.Length == 0, $"{who} at {At}: missing [{string.Join(", ", missing)}], extra [{string.Join(", ", extra)}]");
        foreach (((string Model, string Id) key, JsonElement expected) in _records)
        {
            Assert.True(JsonElement.DeepEquals(expected, records[key]), $"{who} at {At}: {key} is {records[key]}, the log says {expected}");
        }
    }

    /// <summary>Fails unless the client's confirmed records are these.</summary>
    public void AssertSame(TetherClient client, string who) => AssertSame(client.ConfirmedSnapshot(), who);
}
