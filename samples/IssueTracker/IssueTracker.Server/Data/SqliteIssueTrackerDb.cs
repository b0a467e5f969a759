using Microsoft.EntityFrameworkCore;

namespace IssueTracker.Server.Data;

/// <summary>The tables in a SQLite file (the default), with the migrations in Data/Migrations/Sqlite.</summary>
public sealed class SqliteIssueTrackerDb(DbContextOptions<SqliteIssueTrackerDb> options) : IssueTrackerDb(options);
