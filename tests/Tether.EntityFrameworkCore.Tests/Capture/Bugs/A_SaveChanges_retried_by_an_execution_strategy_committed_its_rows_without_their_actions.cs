using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;
using Tether.EntityFrameworkCore.Tests.App;
using Tether.Server.Storage;
using Tether.Server.Tests.Harness;
using static Tether.EntityFrameworkCore.Tests.Capture.AppWrites;

namespace Tether.EntityFrameworkCore.Tests.Capture.Bugs;

/// <summary>An execution strategy that retries (<c>EnableRetryOnFailure</c>) runs a failed SaveChanges again in a new
/// transaction of EF Core's. The capture prepared only the first one, so the retry committed the rows and no action.</summary>
public abstract class A_SaveChanges_retried_by_an_execution_strategy_committed_its_rows_without_their_actions
{
    protected abstract bool OnPostgres { get; }

    [Fact]
    public async Task The_retry_that_commits_appends_the_actions_once()
    {
        var failure = new FailFirstCardInsert();
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings
        {
            OnPostgres = OnPostgres,
            Builder = tether => tether.Services.ConfigureDbContext<BoardDb>((_, options) => options
                .ReplaceService<IExecutionStrategyFactory, RetryingStrategyFactory>()
                .AddInterceptors(failure)),
        });
        Board board = await BoardAsync(server, "t1");

        await WithDbAsync(server, db =>
        {
            db.Cards.Add(Card("c1", board));
            db.Cards.Add(Card("c2", board));
            return db.SaveChangesAsync(Ct);
        });

        Assert.Equal(1, failure.Failures);
        IReadOnlyList<LogEntry> log = await LogAsync(server);
        AssertGapFree(log, 3);
        Assert.Equal([("insert", "card", "c1"), ("insert", "card", "c2")], Actions(log.Skip(1)).Order());
        Assert.Equal(2, await ServerDatabase.CountAsync(server, "cards"));
    }

    private sealed class TransientFailure() : Exception("A failure the test's execution strategy retries.");

    /// <summary>Fails the first statement that inserts cards, once, after the capture prepared its transaction.</summary>
    private sealed class FailFirstCardInsert : DbCommandInterceptor
    {
        private int _failures;

        public int Failures => _failures;

        public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
        {
            FailOnce(command);
            return result;
        }

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            FailOnce(command);
            return ValueTask.FromResult(result);
        }

        public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
        {
            FailOnce(command);
            return result;
        }

        public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            FailOnce(command);
            return ValueTask.FromResult(result);
        }

        private void FailOnce(DbCommand command)
        {
            // SQLite quotes the table's name, PostgreSQL does not.
            if (command.CommandText.Replace("\"", "", StringComparison.Ordinal).Contains("INSERT INTO cards", StringComparison.Ordinal)
                && Interlocked.CompareExchange(ref _failures, 1, 0) == 0)
            {
                throw new TransientFailure();
            }
        }
    }

    private sealed class RetryingStrategy(ExecutionStrategyDependencies dependencies) : ExecutionStrategy(dependencies, maxRetryCount: 3, maxRetryDelay: TimeSpan.Zero)
    {
        protected override bool ShouldRetryOn(Exception exception) => exception is TransientFailure;
    }

    private sealed class RetryingStrategyFactory(ExecutionStrategyDependencies dependencies) : IExecutionStrategyFactory
    {
        public IExecutionStrategy Create() => new RetryingStrategy(dependencies);
    }
}

public sealed class A_SaveChanges_retried_by_an_execution_strategy_committed_its_rows_without_their_actions_on_SQLite
    : A_SaveChanges_retried_by_an_execution_strategy_committed_its_rows_without_their_actions
{
    protected override bool OnPostgres => false;
}

public sealed class A_SaveChanges_retried_by_an_execution_strategy_committed_its_rows_without_their_actions_on_PostgreSQL
    : A_SaveChanges_retried_by_an_execution_strategy_committed_its_rows_without_their_actions
{
    protected override bool OnPostgres => true;
}
