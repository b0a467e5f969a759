using Microsoft.Extensions.DependencyInjection;
using Tether.EntityFrameworkCore.Tests.App;
using Tether.Server.Storage;
using Tether.Server.Tests.Harness;
using static Tether.EntityFrameworkCore.Tests.Capture.AppWrites;

namespace Tether.EntityFrameworkCore.Tests.Capture.Bugs;

/// <summary>The capture asked the mapping which entities are synced before anything had checked the mapping against
/// the app's model (that happens as Tether's store initializes): a SaveChanges at startup, before Tether's
/// initializer, threw "The synced models are used before the store was initialized."</summary>
public abstract class A_synced_SaveChanges_before_Tether_started_failed_because_the_mapping_was_not_checked_yet
{
    protected abstract bool OnPostgres { get; }

    [Fact]
    public async Task It_saves_and_is_captured()
    {
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings
        {
            OnPostgres = OnPostgres,
            Builder = tether => tether.Services.AddSingleton(new AppStartup(services =>
            {
                BoardDb db = services.GetRequiredService<BoardDb>();
                db.Tags.Add(new Tag { Id = 1, Label = "Seeded" });
                return db.SaveChangesAsync(Ct);
            })),
        });

        // On PostgreSQL the row predates Tether's replication slot: it is served, not logged.
        if (OnPostgres)
        {
            await using ITetherReadSnapshot snapshot = await server.Store.BeginReadAsync(Ct);
            Assert.Equal(["1"], (await snapshot.ListRecordsAsync("tag", BoardModels.PublicGroup, Ct)).Select(r => r.Id));
            return;
        }
        IReadOnlyList<LogEntry> log = await LogAsync(server);
        Assert.Equal([("insert", "tag", "1")], Actions(log));
        Assert.Equal(1, log[0].SyncId);
    }
}

public sealed class A_synced_SaveChanges_before_Tether_started_failed_because_the_mapping_was_not_checked_yet_on_SQLite
    : A_synced_SaveChanges_before_Tether_started_failed_because_the_mapping_was_not_checked_yet
{
    protected override bool OnPostgres => false;
}

public sealed class A_synced_SaveChanges_before_Tether_started_failed_because_the_mapping_was_not_checked_yet_on_PostgreSQL
    : A_synced_SaveChanges_before_Tether_started_failed_because_the_mapping_was_not_checked_yet
{
    protected override bool OnPostgres => true;
}
