using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace IssueTracker.Server.Data;

// What `dotnet ef migrations add` builds the contexts with: the provider is all it needs, it connects to nothing.

internal sealed class SqliteDesignTimeContext : IDesignTimeDbContextFactory<SqliteIssueTrackerDb>
{
    public SqliteIssueTrackerDb CreateDbContext(string[] args)
        => new(new DbContextOptionsBuilder<SqliteIssueTrackerDb>().UseSqlite("Data Source=design-time.db").Options);
}

internal sealed class PostgresDesignTimeContext : IDesignTimeDbContextFactory<PostgresIssueTrackerDb>
{
    public PostgresIssueTrackerDb CreateDbContext(string[] args)
        => new(new DbContextOptionsBuilder<PostgresIssueTrackerDb>().UseNpgsql("Host=design-time").Options);
}
