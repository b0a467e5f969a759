using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Tether.EntityFrameworkCore.Tests.App;
using Tether.Mutators;
using Tether.Server.Storage;
using Tether.Server.Tests.Harness;
using static Tether.EntityFrameworkCore.Tests.Capture.AppWrites;

namespace Tether.EntityFrameworkCore.Tests.Capture;

/// <summary>The app's SaveChanges and clients' mutations writing the same tables at once, while readers of different
/// groups follow live: what each reader ends with is what the database holds for its groups.</summary>
public abstract class MixedWritersTests
{
    private const int AppWriters = 3;
    private const int Clients = 2;
    private const int Steps = 16;
    private const int CardsPerWriter = 4;
    private static readonly string[] Teams = ["t1", "t2", "t3"];
    private static readonly string?[] Assignees = ["alice", "bob", "carol", "dave", "erin", null];
    private static readonly TimeSpan ReaderTimeout = TimeSpan.FromSeconds(120);

    protected abstract bool OnPostgres { get; }

    [Fact]
    public async Task Live_and_SSE_readers_of_different_groups_end_with_exactly_their_groups_rows_while_SaveChanges_and_mutators_write_at_once()
    {
        // Short heartbeats keep every reader moving, so one whose groups saw nothing of the last commits still
        // learns that the stream has passed them.
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings
        {
            OnPostgres = OnPostgres,
            Tether = options =>
            {
                options.HeartbeatInterval = TimeSpan.FromMilliseconds(300);
                options.Limits.RequestsPerSecond = 0;
            },
        });
        var boards = new Dictionary<string, Board>();
        foreach (string team in Teams)
        {
            boards[team] = await BoardAsync(server, team);
        }
        var ledger = new Ledger();
        await WithDbAsync(server, db =>
        {
            db.Members.AddRange(Member("t1", "alice"), Member("t2", "bob"), Member("t1", "carol"), Member("t3", "carol"), Member("t2", "dave"), Member("t3", "dave"));
            return db.SaveChangesAsync(Ct);
        });
        Plan[] seeded = [.. Teams.Select((team, i) => new Plan($"seed-{i}", team, Assignees[i], "Seeded", i, Exists: true))];
        await WithDbAsync(server, db =>
        {
            db.Cards.AddRange(seeded.Select(plan => plan.ToCard(boards)));
            return db.SaveChangesAsync(Ct);
        });
        foreach (Plan plan in seeded)
        {
            ledger.Committed(Plan.Absent(plan.Id), plan);
        }

        // Readers of different groups: alice (t1), carol (t1, t3) live; bob (t2), dave (t2, t3) by SSE.
        Reader[] readers = [await Reader.LiveAsync(server, "alice"), await Reader.LiveAsync(server, "carol"), await Reader.SseAsync(server, "bob"), await Reader.SseAsync(server, "dave")];
        try
        {
            var target = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            Task[] following = [.. readers.Select(reader => reader.FollowAsync(target.Task))];

            await Task.WhenAll([
                .. Enumerable.Range(0, AppWriters).Select(w => Task.Run(() => AppWriterAsync(server, w, boards, ledger), Ct)),
                .. Enumerable.Range(0, Clients).Select(c => Task.Run(() => ClientAsync(server, c, boards, ledger), Ct)),
            ]);
            long head = await HeadAsync(server);
            target.SetResult(head);
            await Task.WhenAll(following).WaitAsync(ReaderTimeout, Ct);

            // The log: no hole, and every committed change of a card once, as the diff of its two states.
            IReadOnlyList<LogEntry> log = await LogAsync(server);
            AssertGapFree(log, head);
            Dictionary<string, string[]> logged = log.Where(e => e.ModelName == "card")
                .GroupBy(e => e.ModelId)
                .ToDictionary(g => g.Key, g => g.Select(e => e.Action).ToArray());
            Assert.Equal(ledger.Expected.Keys.Order(StringComparer.Ordinal), logged.Keys.Order(StringComparer.Ordinal));
            Assert.All(ledger.Expected, card => Assert.Equal(card.Value, logged[card.Key]));

            // Each reader: the log as its groups see it, chained, and applied to its bootstrap, the database's rows.
            Dictionary<(string Model, string Id), (IReadOnlyList<string> Groups, JsonObject Json)> rows = await RowsAsync(server);
            foreach (Reader reader in readers)
            {
                await reader.AssertMatchesAsync(rows);
            }
        }
        finally
        {
            foreach (Reader reader in readers)
            {
                await reader.DisposeAsync();
            }
        }
    }

    /// <summary>Request-scoped SaveChanges on the writer's own cards: inserts, updates (tracked and disconnected),
    /// moves between teams and assignees, deletes; now and then two of them in one transaction, committed or rolled
    /// back.</summary>
    private static async Task AppWriterAsync(TestServer server, int writer, Dictionary<string, Board> boards, Ledger ledger)
    {
        var random = new Random(1000 + writer);
        Plan[] cards = [.. Enumerable.Range(0, CardsPerWriter).Select(k => Plan.Absent($"s{writer}-{k}"))];
        for (int step = 0; step < Steps; step++)
        {
            int first = step % CardsPerWriter, second = (step + 1) % CardsPerWriter;
            Plan a = cards[first], b = cards[second];
            Plan nextA = a.Next(random), nextB = b.Next(random);
            switch (random.Next(8))
            {
                case 0:
                    await WithDbAsync(server, async db =>
                    {
                        await using IDbContextTransaction transaction = await db.Database.BeginTransactionAsync(Ct);
                        await SaveAsync(db, a, nextA, boards, random);
                        await SaveAsync(db, b, nextB, boards, random);
                        await transaction.CommitAsync(Ct);
                    });
                    ledger.Committed(a, nextA);
                    ledger.Committed(b, nextB);
                    cards[first] = nextA;
                    cards[second] = nextB;
                    break;
                case 1:
                    await WithDbAsync(server, async db =>
                    {
                        await using IDbContextTransaction transaction = await db.Database.BeginTransactionAsync(Ct);
                        await SaveAsync(db, a, nextA, boards, random);
                        await SaveAsync(db, b, nextB, boards, random);
                        await transaction.RollbackAsync(Ct);
                    });
                    break;
                default:
                    await WithDbAsync(server, db => SaveAsync(db, a, nextA, boards, random));
                    ledger.Committed(a, nextA);
                    cards[first] = nextA;
                    break;
            }
        }
    }

    private static async Task SaveAsync(BoardDb db, Plan before, Plan after, Dictionary<string, Board> boards, Random random)
    {
        db.ChangeTracker.Clear();
        if (!before.Exists)
        {
            db.Cards.Add(after.ToCard(boards));
        }
        else if (!after.Exists)
        {
            db.Cards.Remove(random.Next(2) == 0 ? new Card { Id = before.Id } : await db.Cards.SingleAsync(c => c.Id == before.Id, Ct));
        }
        else if (random.Next(2) == 0)
        {
            // Disconnected: EF Core knows nothing of the row's former state.
            db.Cards.Update(after.ToCard(boards));
        }
        else
        {
            Card card = await db.Cards.SingleAsync(c => c.Id == before.Id, Ct);
            card.TeamId = after.Team;
            card.BoardId = boards[after.Team].Id;
            card.Assignee = after.Assignee;
            card.Title = after.Title;
            card.Points = after.Points;
        }
        await db.SaveChangesAsync(Ct);
    }

    /// <summary>A client pushing the test app's mutators on its own cards.</summary>
    private static async Task ClientAsync(TestServer server, int client, Dictionary<string, Board> boards, Ledger ledger)
    {
        var random = new Random(2000 + client);
        using SyncApi api = server.Api(Assignees[client]!);
        string clientId = $"client-{client}";
        Plan[] cards = [.. Enumerable.Range(0, CardsPerWriter).Select(k => Plan.Absent($"p{client}-{k}"))];
        for (int step = 0; step < Steps; step++)
        {
            int index = step % CardsPerWriter;
            Plan before = cards[index], after = before.Next(random);
            string boardId = boards[after.Team].Id.ToString();
            (string name, object args) = (before.Exists, after.Exists) switch
            {
                (false, _) => ("createCard", (object)new { id = after.Id, boardId, teamId = after.Team, title = after.Title, assignee = after.Assignee, points = after.Points }),
                (_, false) => ("deleteCard", new { id = after.Id }),
                _ => ("updateCard", new
                {
                    id = after.Id,
                    patch = new JsonObject { ["boardId"] = boardId, ["teamId"] = after.Team, ["assignee"] = after.Assignee, ["title"] = after.Title, ["points"] = after.Points },
                }),
            };
            await api.ApplyAsync(clientId, step + 1, name, args);
            ledger.Committed(before, after);
            cards[index] = after;
        }
    }

    /// <summary>Every board, card and member row, with its groups and the JSON it serves.</summary>
    private static Task<Dictionary<(string Model, string Id), (IReadOnlyList<string> Groups, JsonObject Json)>> RowsAsync(TestServer server)
        => WithDbAsync(server, async db =>
        {
            var rows = new Dictionary<(string, string), (IReadOnlyList<string>, JsonObject)>();
            Add(rows, BoardModels.Board, await db.Boards.AsNoTracking().ToListAsync(Ct));
            Add(rows, BoardModels.Card, await db.Cards.AsNoTracking().ToListAsync(Ct));
            Add(rows, BoardModels.Member, await db.Members.AsNoTracking().ToListAsync(Ct));
            return rows;
        });

    private static void Add<T>(Dictionary<(string, string), (IReadOnlyList<string>, JsonObject)> rows, SyncModel<T> model, List<T> entities) where T : class
    {
        foreach (T entity in entities)
        {
            JsonObject json = model.ToJson(entity);
            // Never synced (the mapping ignores it).
            json.Remove("internalNotes");
            rows[(model.Name, model.IdOf(entity))] = (model.GroupsOf(entity), json);
        }
    }

    private static Member Member(string team, string user) => new() { Id = $"{team}:{user}", TeamId = team, UserId = user };

    /// <summary>A card as its writer means it to be.</summary>
    private sealed record Plan(string Id, string Team, string? Assignee, string Title, int Points, bool Exists)
    {
        public static Plan Absent(string id) => new(id, "t1", null, "", 0, Exists: false);

        public IReadOnlyList<string> Groups => Assignee is null ? ["team:" + Team] : ["team:" + Team, "user:" + Assignee];

        /// <summary>The card's next state: inserted when absent, else retitled, moved to another team or assignee,
        /// or deleted.</summary>
        public Plan Next(Random random)
        {
            string title = $"{Id} #{random.Next(1_000_000)}";
            if (!Exists)
            {
                return this with { Team = Teams[random.Next(Teams.Length)], Assignee = Assignees[random.Next(Assignees.Length)], Title = title, Exists = true };
            }
            return random.Next(4) switch
            {
                0 => this with { Title = title, Points = Points + 1 },
                1 => this with { Team = Teams[(Array.IndexOf(Teams, Team) + 1 + random.Next(Teams.Length - 1)) % Teams.Length], Title = title },
                2 => this with { Assignee = Assignees[(Array.IndexOf(Assignees, Assignee) + 1 + random.Next(Assignees.Length - 1)) % Assignees.Length], Title = title },
                _ => Absent(Id),
            };
        }

        public Card ToCard(Dictionary<string, Board> boards)
            => new() { Id = Id, BoardId = boards[Team].Id, TeamId = Team, Assignee = Assignee, Title = Title, Points = Points };
    }

    /// <summary>The actions each card's committed changes must have in the log, in order.</summary>
    private sealed class Ledger
    {
        private readonly ConcurrentDictionary<string, List<string>> _expected = new(StringComparer.Ordinal);

        public IReadOnlyDictionary<string, List<string>> Expected => _expected;

        /// <summary>A committed change of one card (each card has one writer, so its list is written by one task).</summary>
        public void Committed(Plan before, Plan after)
        {
            List<string> actions = _expected.GetOrAdd(after.Id, _ => []);
            if (!before.Exists)
            {
                actions.Add("insert");
            }
            else if (!after.Exists)
            {
                actions.Add("delete");
            }
            else
            {
                // Readers of a group the card leaves are told it is gone for them, then every reader of its groups
                // gets it whole.
                if (before.Groups.Except(after.Groups).Any())
                {
                    actions.Add("delete");
                }
                actions.Add("update");
            }
        }
    }

    /// <summary>A user following the stream as a client does: a bootstrap, then the frames after it.</summary>
    private sealed class Reader : IAsyncDisposable
    {
        private readonly SyncApi _api;
        private readonly LiveClient? _live;
        private readonly SseClient? _sse;
        private readonly BootstrapResult _bootstrap;
        private readonly long _start;
        private readonly List<JsonElement> _frames = [];

        private Reader(SyncApi api, string[] groups, long start, BootstrapResult bootstrap, LiveClient? live, SseClient? sse)
        {
            _api = api;
            Groups = groups;
            _start = start;
            _bootstrap = bootstrap;
            _live = live;
            _sse = sse;
        }

        private string[] Groups { get; }

        /// <summary>Connected first, so that nothing committed after the bootstrap is missed; the frames up to the
        /// bootstrap's position are already in it.</summary>
        public static async Task<Reader> LiveAsync(TestServer server, string user)
        {
            var api = new SyncApi(server, user);
            LiveClient live = await LiveClient.ConnectAsync(server, user);
            JsonElement handshake = await live.ExpectAsync("handshake");
            BootstrapResult bootstrap = await api.BootstrapAsync(new { type = "eager" });
            Assert.True(bootstrap.FirstSyncId >= handshake.LastSyncId());
            return new Reader(api, handshake.SyncGroups(), handshake.LastSyncId(), bootstrap, live, null);
        }

        /// <summary>Bootstrapped first, then the stream from the bootstrap's position (the server catches up).</summary>
        public static async Task<Reader> SseAsync(TestServer server, string user)
        {
            var api = new SyncApi(server, user);
            BootstrapResult bootstrap = await api.BootstrapAsync(new { type = "eager" });
            SseClient sse = await SseClient.ConnectAsync(api, $"?from={bootstrap.FirstSyncId}");
            (_, JsonElement handshake) = await sse.ReceiveAsync();
            Assert.Equal("handshake", handshake.Type());
            return new Reader(api, handshake.SyncGroups(), bootstrap.FirstSyncId, bootstrap, null, sse);
        }

        /// <summary>Reads frames until the stream has passed <paramref name="target"/>'s head.</summary>
        public async Task FollowAsync(Task<long> target)
        {
            long last = _start;
            while (!(target.IsCompleted && last >= target.Result))
            {
                JsonElement frame;
                if (_live is not null)
                {
                    JsonElement? received = await _live.ReceiveAsync();
                    Assert.True(received is not null, "the live socket closed");
                    frame = received.Value;
                }
                else
                {
                    frame = (await _sse!.ReceiveAsync()).Data;
                }
                _frames.Add(frame);
                if (frame.Type() == "sync")
                {
                    last = frame.LastSyncId();
                }
            }
        }

        public async Task AssertMatchesAsync(Dictionary<(string Model, string Id), (IReadOnlyList<string> Groups, JsonObject Json)> rows)
        {
            Assert.All(_frames, frame => Assert.Equal("sync", frame.Type()));
            Frames.AssertChained(_start, _frames);
            List<JsonElement> actions = Frames.ActionsOf(_frames);
            Assert.Equal(Frames.Texts(await _api.AllActionsAsync(_start)), Frames.Texts(actions));

            var state = new Dictionary<(string Model, string Id), JsonNode>();
            foreach (((string model, string id), JsonElement row) in _bootstrap.Rows)
            {
                state[(model, id)] = JsonNode.Parse(row.GetRawText())!;
            }
            foreach (JsonElement action in actions.Where(a => a.SyncId() > _bootstrap.FirstSyncId))
            {
                (string, string) key = (action.ModelName(), action.ModelId());
                if (action.GetProperty("action").GetString() == "delete")
                {
                    state.Remove(key);
                }
                else
                {
                    state[key] = JsonNode.Parse(action.GetProperty("data").GetRawText())!;
                }
            }

            var expected = rows.Where(row => row.Value.Groups.Intersect(Groups, StringComparer.Ordinal).Any()).ToDictionary(row => row.Key, row => row.Value.Json);
            Assert.Equal(expected.Keys.Order(), state.Where(s => s.Key.Model is "board" or "card" or "member").Select(s => s.Key).Order());
            Assert.All(expected, row => Assert.True(JsonNode.DeepEquals(row.Value, state[row.Key]), $"{_api.UserId} has {state[row.Key].ToJsonString()} for {row.Key}, the database {row.Value.ToJsonString()}"));
        }

        public async ValueTask DisposeAsync()
        {
            if (_live is not null)
            {
                await _live.DisposeAsync();
            }
            if (_sse is not null)
            {
                await _sse.DisposeAsync();
            }
            _api.Dispose();
        }
    }
}

public sealed class SqliteMixedWritersTests : MixedWritersTests
{
    protected override bool OnPostgres => false;
}

public sealed class PostgreSqlMixedWritersTests : MixedWritersTests
{
    protected override bool OnPostgres => true;
}
