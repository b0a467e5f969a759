using IssueTracker.Entities;
using Microsoft.EntityFrameworkCore;

namespace IssueTracker.Server.Data;

/// <summary>The tables in PostgreSQL, with the migrations in Data/Migrations/Postgres.</summary>
public sealed class PostgresIssueTrackerDb(DbContextOptions<PostgresIssueTrackerDb> options) : IssueTrackerDb(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        // Ids compare byte by byte, as in SQLite and in Tether's own tables, whatever the database's locale.
        modelBuilder.Entity<Team>().Property(t => t.Id).UseCollation("C");
        modelBuilder.Entity<Member>().Property(m => m.Id).UseCollation("C");
        modelBuilder.Entity<Project>().Property(p => p.Id).UseCollation("C");
        modelBuilder.Entity<Issue>().Property(i => i.Id).UseCollation("C");
        modelBuilder.Entity<Comment>().Property(c => c.Id).UseCollation("C");
    }
}
