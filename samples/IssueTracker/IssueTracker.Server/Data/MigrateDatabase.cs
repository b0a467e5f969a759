using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace IssueTracker.Server.Data;

/// <summary>Brings the app's tables up to date with its EF Core migrations when the server starts, before Tether
/// starts (it is registered first): Tether reads those tables from its first bootstrap on. Nodes that share a
/// PostgreSQL database may start together; EF Core's migration lock lets one of them migrate.</summary>
internal sealed class MigrateDatabase(IServiceScopeFactory scopes) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using AsyncServiceScope scope = scopes.CreateAsyncScope();
        IssueTrackerDb db = scope.ServiceProvider.GetRequiredService<IssueTrackerDb>();
        if (db.Database.IsSqlite())
        {
            // SQLite creates the file, not the folder it goes in (./data by default).
            string file = Path.GetFullPath(new SqliteConnectionStringBuilder(db.Database.GetConnectionString()).DataSource);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        }
        await db.Database.MigrateAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
