using IssueTracker.Entities;
using Microsoft.EntityFrameworkCore;

namespace IssueTracker.Server.Data;

/// <summary>
/// The issue tracker's own tables, one per entity, keyed by the record id. Each column a sync group comes from has an
/// index, since bootstrap reads a user's records with a filter on those columns. Each database has a context of its
/// own (<see cref="SqliteIssueTrackerDb"/>, <see cref="PostgresIssueTrackerDb"/>) with its own migrations, as EF Core
/// generates them for one provider.
/// </summary>
public abstract class IssueTrackerDb(DbContextOptions options) : DbContext(options)
{
    public DbSet<Team> Teams => Set<Team>();
    public DbSet<Member> Members => Set<Member>();
    public DbSet<Project> Projects => Set<Project>();
    public DbSet<Issue> Issues => Set<Issue>();
    public DbSet<Comment> Comments => Set<Comment>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Team>();
        modelBuilder.Entity<Member>(member =>
        {
            member.HasIndex(m => m.TeamId);
            member.HasIndex(m => m.UserId);
        });
        modelBuilder.Entity<Project>(project => project.HasIndex(p => p.TeamId));
        modelBuilder.Entity<Issue>(issue =>
        {
            issue.HasIndex(i => i.TeamId);
            issue.HasIndex(i => i.ProjectId);
        });
        modelBuilder.Entity<Comment>(comment =>
        {
            comment.HasIndex(c => c.TeamId);
            comment.HasIndex(c => c.IssueId);
        });
    }
}
