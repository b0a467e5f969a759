using Microsoft.EntityFrameworkCore;

namespace Tether.Bench.EfApp;

/// <summary>The bench app's own context: one table of issues, indexed by team as the group filter reads it.</summary>
public sealed class BenchDb(DbContextOptions<BenchDb> options) : DbContext(options)
{
    public DbSet<Issue> Issues => Set<Issue>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Issue>(issue =>
        {
            issue.ToTable("issues");
            issue.HasIndex(i => i.TeamId);
        });
    }
}
