using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Tether.Mutators;
using Tether.Protocol;
using Tether.Server.Extensibility;
using Tether.Server.Internal.Fanout;
using Tether.Server.Storage;

namespace Tether.Server.Internal.Pipeline;

/// <summary>
/// The writer: each of its loops (<see cref="ITetherStore.Writers"/>, one unless the store orders concurrent writers
/// itself) takes the pushes waiting in the queue, runs all their mutations in ONE transaction, their writes held in
/// <see cref="PendingWrites"/> (a refused mutation's dropped there), and commits them as one batch, so concurrent
/// pushes share one durable commit (group commit). With one loop, being the only writer of the process is also what
/// makes syncId order equal commit order on SQLite. With several, a batch that loses to a concurrent one
/// (<see cref="WriteConflictException"/>) is run again, smaller, and a store that gives syncIds after the commit
/// (<see cref="CommittedBatch.SequencedLater"/>) has its pushes answered once they are in the log, while the loop
/// goes on with the next batch.
/// </summary>
internal sealed partial class MutationPipeline(
    ITetherStore store,
    MutatorRegistry mutators,
    GroupResolution groups,
    WriterQueue queue,
    WriterGroupCache groupCache,
    CommitSignal commits,
    TetherMetrics metrics,
    IOptions<TetherServerOptions> options,
    ILogger<MutationPipeline> logger,
    IAppRecordModels? appRecords = null) : BackgroundService, ITetherWriter
{
    private readonly int _maxMutationsPerCommit = Math.Max(1, options.Value.MaxMutationsPerCommit);
    /// <summary>What a committed unit of work answers the queue with: its own value travels in the unit's closure.</summary>
    private static readonly PushResult UnitCommitted = new([], 0);

    private readonly ResiliencePipeline<CommitAttempt> _conflictRetry = ConflictRetries.Pipeline<CommitAttempt>(attempt => attempt.Failure);

    private readonly WriterGate _gate = new(store.Writers);

    public Task<WriteOutcome<PushResult>> PushAsync(string userId, PushRequest request, CancellationToken callerGone = default)
        => EnqueueAsync(new WriterWork(userId, request, userId, callerGone));

    public async Task<WriteOutcome<T>> WriteAsync<T>(WriteOptions options, Func<IWriteScope, CancellationToken, ValueTask<T>> unit, CancellationToken callerGone = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(unit);
        // The value of the run that was committed: a failed batch runs the unit again on its own.
        T value = default!;
        WriteOutcome<PushResult> outcome = await EnqueueAsync(new WriterWork(options, async (scope, cancellationToken) => value = await unit(scope, cancellationToken).ConfigureAwait(false), callerGone)).ConfigureAwait(false);
        return outcome.Status == WriteStatus.Applied ? WriteOutcome<T>.Applied(value) : outcome.Cast<T>();
    }

    private Task<WriteOutcome<PushResult>> EnqueueAsync(WriterWork work)
    {
        if (queue.TryEnqueue(work) is { } refused)
        {
            metrics.PushesRefused.Add(1, new KeyValuePair<string, object?>("reason", refused.Code));
            return Task.FromResult(WriteOutcome<PushResult>.Unavailable(refused));
        }
        return work.Outcome;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.WhenAll(Enumerable.Range(0, Math.Max(1, store.Writers)).Select(_ => RunWriterAsync(stoppingToken)));
        // Shutting down: pushes still queued are answered so that no caller waits forever.
        foreach (WriterWork left in queue.Complete())
        {
            left.Complete(WriterRefusals.NotCommitted);
        }
    }

    /// <summary>One writer loop, with a batch size of its own.</summary>
    private async Task RunWriterAsync(CancellationToken stoppingToken)
    {
        var batch = new List<WriterSlice>();
        var size = new AdaptiveBatchSize(_maxMutationsPerCommit);
        try
        {
            while (await queue.WaitAsync(stoppingToken))
            {
                batch.Clear();
                queue.TakeBatch(batch, size.Current);
                if (batch.Count == 0)
                {
                    continue;
                }
                RecordQueueWaits(batch);
                try
                {
                    await CommitAsync(batch, size, stoppingToken);
                }
                finally
                {
                    queue.Release(batch);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down; the caller answers what is still queued.
        }
    }

    private void RecordQueueWaits(List<WriterSlice> batch)
    {
        foreach (WriterSlice slice in batch)
        {
            metrics.QueueWait.Record(Stopwatch.GetElapsedTime(slice.Work.QueuedAt).TotalMilliseconds);
        }
    }

    /// <summary>Commits a batch and answers its pushes (or puts back the rest of a sliced one). When the batch fails,
    /// its slices are tried again one by one, so a push that fails every time (a poisoned one) costs only itself a
    /// 503, and a push with a mutation the database refuses for good costs only that mutation (see
    /// <see cref="CommitEachAsync"/>). A batch that lost to a concurrent writer halves the loop's next batches.</summary>
    private async Task CommitAsync(List<WriterSlice> batch, AdaptiveBatchSize size, CancellationToken cancellationToken)
    {
        CommitAttempt attempt = await TryCommitAsync(batch, refusal: null, retry: false, cancellationToken);
        bool conflicted = ConflictRetries.IsConflict(attempt.Failure);
        if (conflicted)
        {
            size.Conflicted();
        }
        else if (attempt.Outcomes is not null)
        {
            size.Committed();
        }
        var answers = new SliceAnswer[batch.Count];
        for (int i = 0; i < batch.Count; i++)
        {
            answers[i] = attempt.Outcomes is { } outcomes ? new SliceAnswer(outcomes[i], attempt.Sequenced) : new SliceAnswer(WriterRefusals.NotCommitted, null);
        }
        if (attempt.Outcomes is null && !cancellationToken.IsCancellationRequested && (batch.Count > 1 || conflicted || attempt.Failure is RecordRefusedException))
        {
            for (int i = 0; i < batch.Count; i++)
            {
                answers[i] = await CommitAloneAsync(batch[i], batch.Count == 1 ? attempt : null, cancellationToken);
            }
        }
        for (int i = 0; i < batch.Count; i++)
        {
            WriterWork work = batch[i].Work;
            (WriteOutcome<PushResult> outcome, Task<long>? sequenced) = answers[i];
            if (outcome.Value is not { } result)
            {
                // Earlier slices stay committed; the client's retry finds them as duplicates.
                work.Complete(outcome);
                continue;
            }
            work.Accept(result, sequenced);
            if (work.Remaining > 0)
            {
                if (work.CallerGone.IsCancellationRequested)
                {
                    work.Complete(WriterRefusals.NotCommitted);
                }
                else
                {
                    queue.Requeue(work);
                }
            }
        }
    }

    /// <summary>Commits one slice in a transaction of its own (<paramref name="attempt"/>: the one already made),
    /// again while it loses to concurrent writers (<see cref="ConflictRetries"/>). A slice of several mutations that
    /// still loses, or that the database refused, goes on a mutation at a time.</summary>
    private async Task<SliceAnswer> CommitAloneAsync(WriterSlice slice, CommitAttempt? attempt, CancellationToken cancellationToken)
    {
        attempt = await CommitRetryingAsync([slice], refusal: null, attempt, cancellationToken);
        if (attempt.Outcomes is { } outcomes)
        {
            return new SliceAnswer(outcomes[0], attempt.Sequenced);
        }
        if (cancellationToken.IsCancellationRequested)
        {
            return new SliceAnswer(WriterRefusals.NotCommitted, null);
        }
        return attempt.Failure switch
        {
            RecordRefusedException refused => await CommitEachAsync(slice, refused, cancellationToken),
            _ when ConflictRetries.IsConflict(attempt.Failure) && slice.Request is { Mutations.Count: > 1 } => await CommitEachAsync(slice, refused: null, cancellationToken),
            _ => new SliceAnswer(NotCommitted(attempt, slice), null),
        };
    }

    /// <summary>A slice that cannot be committed whole: the database refused it for good (<paramref name="refused"/>:
    /// a row of the app's tables broke a constraint, so the same commit would be refused on every retry and the
    /// client's queue would be stuck behind it), or it kept losing to concurrent writers. Its mutations are committed
    /// one per transaction, each retried while it conflicts; the one the database refuses is then committed as
    /// rejected (<c>invalid_args</c>, without the database's text), and the others apply. A unit of work was alone in
    /// the refused transaction, so it is the one rejected.</summary>
    private async Task<SliceAnswer> CommitEachAsync(WriterSlice slice, RecordRefusedException? refused, CancellationToken cancellationToken)
    {
        if (slice.Request is not { } request)
        {
            LogRecordRefused(refused!, refused!.ModelName, refused.Id);
            return new SliceAnswer(WriteOutcome<PushResult>.Rejected(RefusalError(refused)), null);
        }
        var results = new List<MutationResult>(request.Mutations.Count);
        long lastMutationId = 0;
        // The last of these commits is sequenced last: its head bounds the actions of them all.
        Task<long>? sequenced = null;
        for (int i = 0; i < request.Mutations.Count; i++)
        {
            Mutation mutation = request.Mutations[i];
            WriterSlice one = slice with { Request = new PushRequest(request.ClientId, [mutation]), IsFirst = slice.IsFirst && i == 0, Cost = 1 };
            CommitAttempt attempt = await CommitRetryingAsync([one], refusal: null, made: null, cancellationToken);
            if (attempt.Failure is RecordRefusedException again && !cancellationToken.IsCancellationRequested)
            {
                LogRecordRefused(again, again.ModelName, again.Id);
                attempt = await CommitRetryingAsync([one], new Refusal(request.ClientId, mutation.Id, RefusalError(again)), made: null, cancellationToken);
            }
            if (attempt.Outcomes?[0] is not { Value: { } result })
            {
                // The mutations committed before stay committed; the client's retry finds them as duplicates.
                return new SliceAnswer(attempt.Outcomes?[0] ?? NotCommitted(attempt, one), null);
            }
            results.AddRange(result.Results);
            lastMutationId = result.LastMutationId;
            sequenced = attempt.Sequenced ?? sequenced;
        }
        return new SliceAnswer(WriteOutcome<PushResult>.Applied(new PushResult(results, lastMutationId)), sequenced);
    }

    /// <summary>Commits the slices, and again after a backoff while they lose to concurrent writers;
    /// <paramref name="made"/> is the first attempt when it was already made.</summary>
    private async Task<CommitAttempt> CommitRetryingAsync(List<WriterSlice> slices, Refusal? refusal, CommitAttempt? made, CancellationToken cancellationToken)
    {
        try
        {
            bool retry = made is not null;
            return await _conflictRetry.ExecuteAsync(async token =>
            {
                if (made is { } first)
                {
                    made = null;
                    return first;
                }
                CommitAttempt attempt = await TryCommitAsync(slices, refusal, retry, token);
                retry = true;
                return attempt;
            }, cancellationToken);
        }
        catch (OperationCanceledException e) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping during a backoff: nothing more was committed.
            return new CommitAttempt(null, e, null);
        }
    }

    /// <summary>The answer to a slice that was not committed; a conflict that outlasted its retries is logged.</summary>
    private WriteOutcome<PushResult> NotCommitted(CommitAttempt attempt, WriterSlice slice)
    {
        if (!ConflictRetries.IsConflict(attempt.Failure))
        {
            return WriterRefusals.NotCommitted;
        }
        LogConflictsExhausted(attempt.Failure!, slice.Work.UserId, ConflictRetries.Attempts);
        return WriterRefusals.Conflicted;
    }

    private static ErrorBody RefusalError(RecordRefusedException refused)
        => new(ErrorCodes.InvalidArgs, $"The database refused the {refused.ModelName} '{refused.Id}': it breaks a rule of the table that holds it.");

    /// <summary>Runs the slices in one transaction and commits it; <see cref="CommitAttempt.Outcomes"/> is null when
    /// nothing could be committed. The mutation <paramref name="refusal"/> names is answered with its error instead
    /// of being run. A <paramref name="retry"/> after a conflict runs with none of this process's other writers
    /// (<see cref="WriterGate"/>).</summary>
    private async Task<CommitAttempt> TryCommitAsync(List<WriterSlice> batch, Refusal? refusal, bool retry, CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        using Activity? activity = TetherActivities.StartLinked("tether.commit", batch.Select(slice => slice.Work.Trace));
        activity?.SetTag("tether.pushes", batch.Count);
        try
        {
            using WriterGate.Entered entered = await _gate.EnterAsync(alone: retry, cancellationToken);
            var outcomes = new WriteOutcome<PushResult>[batch.Count];
            Task<long>? sequenced = null;
            // Taken before the transaction's snapshot: a group change forgotten after it may be one the batch missed.
            long cacheVersion = groupCache.Version;
            await using (ITetherWriteTransaction transaction = await store.BeginWriteAsync(cancellationToken))
            {
                groupCache.Begin(transaction.Head);
                var writes = new PendingWrites(transaction);
                var batchRun = new BatchRun(writes, groups, groupCache, DateTimeOffset.UtcNow, options.Value.Limits, appRecords, refusal);
                for (int i = 0; i < batch.Count; i++)
                {
                    outcomes[i] = await RunPushAsync(batchRun, batch[i], cancellationToken);
                }
                CommittedBatch committed = await writes.CommitAsync(cancellationToken);
                batchRun.Committed(cacheVersion, committed.SequencedLater);
                if (committed.SequencedLater)
                {
                    sequenced = committed.Sequenced;
                    _ = ObserveSequencingAsync(sequenced, Stopwatch.GetTimestamp());
                }
            }
            metrics.CommitEnded(committed: true, batch.Sum(slice => slice.Cost), Stopwatch.GetElapsedTime(started));
            commits.NotifyCommitted(activity?.Context ?? default);
            return new CommitAttempt(outcomes, null, sequenced);
        }
        catch (Exception e)
        {
            // Nothing of the batch was committed, so every slice in it may be retried as it is (also when the server
            // is stopping: every caller gets an answer).
            // A refusal is logged once the mutation that caused it is found; a conflict is expected among concurrent
            // writers, and logged only when it outlasts its retries.
            if (ConflictRetries.IsConflict(e))
            {
                metrics.CommitConflicts.Add(1);
            }
            else if (e is not RecordRefusedException && (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested))
            {
                LogBatchFailed(e, batch.Count);
            }
            metrics.CommitEnded(committed: false, 0, Stopwatch.GetElapsedTime(started));
            activity?.SetStatus(ActivityStatusCode.Error, e.GetType().Name);
            return new CommitAttempt(null, e, null);
        }
    }

    /// <summary>Records how long the store took to give a commit's actions their syncIds, or why it did not.</summary>
    private async Task ObserveSequencingAsync(Task<long> sequenced, long committedAt)
    {
        try
        {
            await sequenced.ConfigureAwait(false);
            metrics.SequencingWait.Record(Stopwatch.GetElapsedTime(committedAt).TotalMilliseconds);
        }
        catch (Exception e)
        {
            // Its pushes are answered 503 (see WriterWork); their retries find them committed.
            LogNotSequenced(e);
        }
    }

    private async Task<WriteOutcome<PushResult>> RunPushAsync(BatchRun run, WriterSlice slice, CancellationToken cancellationToken)
    {
        WriterWork work = slice.Work;
        if (work.Unit is { } unit)
        {
            return await RunUnitAsync(run, work.UserId, unit, cancellationToken);
        }
        return await RunClientPushAsync(run, work.UserId, slice.Request!, slice.IsFirst, cancellationToken);
    }

    /// <summary>Runs a unit of work from a mark of its own: whatever it wrote is dropped when it fails.</summary>
    private async Task<WriteOutcome<PushResult>> RunUnitAsync(BatchRun run, string userId, WriteUnit unit, CancellationToken cancellationToken)
    {
        PendingWrites writes = run.Writes;
        var scope = new WriteScope(this, run, userId);
        WriteMark mark = writes.Mark();
        ErrorBody error;
        try
        {
            await unit(scope, cancellationToken);
            return WriteOutcome<PushResult>.Applied(UnitCommitted);
        }
        catch (WriteRejectedException rejected)
        {
            error = rejected.Error;
        }
        catch (MutationRejectedException rejected)
        {
            error = rejected.ToError();
        }
        catch (StoreFailureException)
        {
            throw;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogUnitFailed(e, userId);
            error = new ErrorBody(ErrorCodes.Internal, "The server failed to run this write.");
        }
        finally
        {
            scope.Close();
        }
        writes.RollbackTo(mark);
        // Group changes its mutations reported were undone with them.
        run.ForgetAll();
        return WriteOutcome<PushResult>.Rejected(error);
    }

    /// <summary>Runs a client's mutations under its mutation-id sequence.</summary>
    internal async Task<WriteOutcome<PushResult>> RunClientPushAsync(BatchRun run, string userId, PushRequest request, bool isFirst, CancellationToken cancellationToken)
    {
        PendingWrites writes = run.Writes;
        ClientState? client = await writes.GetClientAsync(request.ClientId, cancellationToken);
        if (client is not null && client.UserId != userId)
        {
            return WriteOutcome<PushResult>.Rejected(new ErrorBody(ErrorCodes.Forbidden, "This clientId belongs to another user."));
        }
        long lastMutationId = client?.LastMutationId ?? 0;
        Mutation? firstNew = request.Mutations.FirstOrDefault(m => m.Id > lastMutationId);
        if (firstNew is not null && firstNew.Id != lastMutationId + 1)
        {
            return WriteOutcome<PushResult>.Rejected(new ErrorBody(ErrorCodes.MutationGap, $"The next mutation id of this client is {lastMutationId + 1}.")
            {
                Expected = lastMutationId + 1,
            });
        }
        if (client is not null && isFirst && request.Mutations.Count > 0)
        {
            // Refusals are kept only until the client shows it has their answers, or the table would grow for ever.
            // Only a push's first slice shows that: the later ones follow refusals the client has not seen yet.
            writes.ForgetRejectionsBefore(request.ClientId, request.Mutations[0].Id);
        }
        var results = new List<MutationResult>(request.Mutations.Count);
        foreach (Mutation mutation in request.Mutations)
        {
            if (mutation.Id <= lastMutationId)
            {
                // A retry whose first answer was lost: a refused one is answered as refused again (or the client would
                // take 'duplicate' for applied and never tell the app); an applied one carries the head, which tells the
                // client how far its data must get before the mutation is in it.
                StoredRejection? refused = await writes.GetRejectionAsync(request.ClientId, mutation.Id, cancellationToken);
                MutationResult again = refused is null
                    ? MutationResult.Duplicate(mutation.Id, writes.Head)
                    : MutationResult.Rejected(mutation.Id, new ErrorBody(refused.Code, refused.Message));
                results.Add(again);
                metrics.Mutations.Add(1, new KeyValuePair<string, object?>("status", again.Status), new KeyValuePair<string, object?>("retry", true));
                continue;
            }
            MutationResult result = run.Refusal is { } refusal && refusal.ClientId == request.ClientId && refusal.MutationId == mutation.Id
                ? MutationResult.Rejected(mutation.Id, refusal.Error)
                : await RunMutationAsync(run, userId, request.ClientId, mutation, cancellationToken);
            if (result.Status == MutationStatus.Rejected)
            {
                ErrorBody error = result.Error!;
                writes.AddRejection(request.ClientId, mutation.Id, error.Code, error.Message);
            }
            results.Add(result);
            metrics.Mutations.Add(1, new KeyValuePair<string, object?>("status", result.Status));
            lastMutationId = mutation.Id;
        }
        if (client is null || lastMutationId != client.LastMutationId)
        {
            writes.SetLastMutationId(request.ClientId, userId, lastMutationId);
        }
        return WriteOutcome<PushResult>.Applied(new PushResult(results, lastMutationId));
    }

    private async Task<MutationResult> RunMutationAsync(BatchRun run, string userId, string clientId, Mutation mutation, CancellationToken cancellationToken)
    {
        if (!mutators.TryGet(mutation.Name, out IMutator mutator))
        {
            return MutationResult.Rejected(mutation.Id, new ErrorBody(ErrorCodes.UnknownMutator, $"There is no mutator named '{mutation.Name}'."));
        }
        return await RunMutationAsync(run, userId, clientId, mutation, mutator, cancellationToken);
    }

    private async Task<MutationResult> RunMutationAsync(BatchRun run, string userId, string clientId, Mutation mutation, IMutator mutator, CancellationToken cancellationToken)
    {
        try
        {
            await MutateAsync(run, userId, clientId, mutation.Id, async (context, token) =>
            {
                await mutator.ExecuteAsync(context, mutation.Args, token);
                return true;
            }, cancellationToken);
        }
        catch (MutationRejectedException rejected)
        {
            return MutationResult.Rejected(mutation.Id, rejected.ToError());
        }
        catch (StoreFailureException)
        {
            throw;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // A bug in a mutator (or the group resolver) must not wedge the client's queue: the mutation is consumed as
            // 'internal', nothing of it is written, and only the server's log has the details.
            LogMutatorFailed(e, mutation.Name, mutation.Id, clientId);
            return MutationResult.Rejected(mutation.Id, new ErrorBody(ErrorCodes.Internal, "The server failed to run this mutation."));
        }
        return MutationResult.Applied(mutation.Id, run.Writes.Head);
    }

    /// <summary>Runs one mutation's body from a mark: its writes stay when it returns and are dropped when it throws
    /// (the exception goes on to the caller). The group changes it reports count from then on.</summary>
    internal static async ValueTask<T> MutateAsync<T>(BatchRun run, string userId, string clientId, long mutationId, Func<IMutationContext, CancellationToken, ValueTask<T>> body, CancellationToken cancellationToken)
    {
        IReadOnlySet<string> userGroups = await run.UserGroupsAsync(userId, cancellationToken);
        PendingWrites writes = run.Writes;
        var context = new ServerMutationContext(writes, run.AppRecords, userGroups, userId, run.Now, clientId, mutationId, run.Limits.MaxRecordIdLength);
        WriteMark mark = writes.Mark();
        T value;
        try
        {
            value = await body(context, cancellationToken);
            context.Complete();
        }
        catch (Exception e) when (e is not StoreFailureException && (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested))
        {
            writes.RollbackTo(mark);
            throw;
        }
        run.Apply(context.GroupChanges);
        return value;
    }

    /// <summary>State shared by the slices of one batch: its writes, its clock, and users' groups as of the
    /// batch so far. A user's groups come from <see cref="WriterGroupCache"/> or are resolved once per batch (the
    /// resolver's cost, O(the user's groups)); a mutation that says exactly which groups it granted adds them (on a
    /// copy: the batch may yet fail), and one that revokes a group or does not say makes them be resolved again.</summary>
    internal sealed class BatchRun(
        PendingWrites writes,
        GroupResolution groups,
        WriterGroupCache cache,
        DateTimeOffset now,
        TetherLimits limits,
        IAppRecordModels? appRecords,
        Refusal? refusal)
    {
        private readonly Dictionary<string, HashSet<string>> _userGroups = new(StringComparer.Ordinal);
        private readonly HashSet<string> _copied = new(StringComparer.Ordinal);
        private readonly HashSet<string> _forgotten = new(StringComparer.Ordinal);
        private readonly HashSet<string> _changed = new(StringComparer.Ordinal);

        public PendingWrites Writes => writes;
        public DateTimeOffset Now => now;
        public TetherLimits Limits => limits;
        public IAppRecordModels? AppRecords => appRecords;

        /// <summary>The mutation this run answers with a refusal instead of running it (see <see cref="CommitEachAsync"/>).</summary>
        public Refusal? Refusal => refusal;

        public async ValueTask<IReadOnlySet<string>> UserGroupsAsync(string userId, CancellationToken cancellationToken)
        {
            if (Known(userId) is { } known)
            {
                return known;
            }
            IReadOnlySet<string> fresh = await groups.ResolveAsync(userId, writes, cancellationToken);
            var resolved = new HashSet<string>(fresh, StringComparer.Ordinal);
            _userGroups[userId] = resolved;
            _copied.Add(userId);
            _forgotten.Remove(userId);
            return resolved;
        }

        public void Apply(IReadOnlyList<GroupChange>? changes)
        {
            foreach (GroupChange change in changes ?? [])
            {
                _changed.Add(change.UserId);
                // A revocation is resolved again rather than trusted: a group named slightly otherwise than the resolver
                // names it would leave the user a group the records no longer grant, and revocations are rare.
                if (change.Granted is null || change.Revoked is null || change.Revoked.Count > 0)
                {
                    _userGroups.Remove(change.UserId);
                    _forgotten.Add(change.UserId);
                }
                else if (Known(change.UserId) is { } known)
                {
                    HashSet<string> own = _copied.Add(change.UserId) ? new HashSet<string>(known, StringComparer.Ordinal) : known;
                    own.ExceptWith(change.Revoked);
                    own.UnionWith(change.Granted);
                    _userGroups[change.UserId] = own;
                }
            }
        }

        /// <summary>Forgets every user's groups this batch knows: writes that changed them may have been undone.</summary>
        public void ForgetAll()
        {
            _forgotten.UnionWith(_userGroups.Keys);
            _userGroups.Clear();
        }

        /// <summary>Hands what this batch knows to the cache once it is committed; <paramref name="cacheVersion"/> is
        /// the cache's version from before the transaction began.</summary>
        public void Committed(long cacheVersion, bool sequencedLater)
            => cache.Committed(cacheVersion, writes.Head, sequencedLater, _userGroups, _forgotten.Union(_changed));

        private HashSet<string>? Known(string userId)
        {
            if (_userGroups.TryGetValue(userId, out HashSet<string>? known))
            {
                return known;
            }
            if (!_forgotten.Contains(userId) && cache.TryGet(userId, out known))
            {
                _userGroups[userId] = known;
                return known;
            }
            return null;
        }
    }

    /// <summary>What a commit of slices gave: their outcomes, or null and the reason nothing was committed; and, on a
    /// store that sequences commits later, when its actions have their syncIds.</summary>
    private sealed record CommitAttempt(WriteOutcome<PushResult>[]? Outcomes, Exception? Failure, Task<long>? Sequenced);

    /// <summary>A slice's outcome, and when its actions have their syncIds on a store that sequences commits later.</summary>
    private readonly record struct SliceAnswer(WriteOutcome<PushResult> Outcome, Task<long>? Sequenced);

    /// <summary>The mutation <paramref name="MutationId"/> of <paramref name="ClientId"/> is answered with
    /// <paramref name="Error"/> without being run: the database refused what it wrote.</summary>
    internal sealed record Refusal(string ClientId, long MutationId, ErrorBody Error);
}
