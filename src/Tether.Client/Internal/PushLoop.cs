using System.Net;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Tether.Protocol;

namespace Tether.Client.Internal;

/// <summary>Sends the pending queue: in order, in batches, retried with backoff until the server answers; a mutation
/// is sent again after a restart or a lost answer, which the server's idempotent ids make safe.</summary>
internal sealed class PushLoop(ClientState state, Applier applier, ServerApi api, ClientEvents events, NetworkGate network, TetherClientOptions options, CancellationToken stopping)
{
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private int _pushBatch;

    /// <summary>Tells the loop that the queue grew.</summary>
    public void Wake() => _wake.Writer.TryWrite(true);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        _pushBatch = Math.Max(1, options.MaxPushBatch);
        Polly.ResiliencePipeline retry = Retries.Pipeline("push", options, events, stopping);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                Mutation[] batch = await NextBatchAsync(cancellationToken);
                if (batch.Length == 0)
                {
                    await _wake.Reader.ReadAsync(cancellationToken);
                    continue;
                }
                // Pushing waits for a network; losing it abandons the push (its answer too: the ids make the resend
                // safe), regaining it sends at once instead of after the backoff.
                CancellationToken online = await network.WaitAvailableAsync(cancellationToken);
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, online);
                try
                {
                    await retry.ExecuteAsync(token => new ValueTask(PushOnceAsync(batch, token)), attempt.Token);
                }
                catch (OperationCanceledException) when (online.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    // The batch is read again from the queue.
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Disposed.
        }
        catch (Exception e)
        {
            ClientLog.Failed(events.Logger, e);
            events.SetStatus(ClientStatus.Failed, e);
        }
    }

    /// <summary>The oldest pending mutations the server has not answered yet.</summary>
    private async Task<Mutation[]> NextBatchAsync(CancellationToken cancellationToken)
    {
        using ClientState.Scope held = await state.EnterAsync(cancellationToken);
        // A push carries consecutive ids; the queue has holes where refused mutations left it, so a batch ends at
        // the first hole (found by the convergence property: a restart resent [1, 3] after 2 was refused).
        var batch = new List<Mutation>();
        foreach (PendingEntry entry in state.Pending.Where(p => p.ReleaseAt is null))
        {
            if (batch.Count == _pushBatch || batch.Count > 0 && entry.Id != batch[^1].Id + 1)
            {
                break;
            }
            batch.Add(new Mutation(entry.Id, entry.Name, entry.Args));
        }
        return [.. batch];
    }

    private async Task PushOnceAsync(Mutation[] batch, CancellationToken cancellationToken)
    {
        PushResult result;
        try
        {
            result = await api.PushAsync(new PushRequest(state.Metadata.ClientId!, batch), cancellationToken);
        }
        catch (ServerErrorException e) when (e.Error.Code == ErrorCodes.MutationGap && e.Error.Expected is { } expected && expected < batch[0].Id)
        {
            // Ids the server never received are not in the queue any more (a store restored from a backup, say): they
            // are consumed with placeholders so the queue can move on, and the batch is sent again.
            ClientLog.SkippingIds(events.Logger, expected, batch[0].Id - 1);
            await ConsumeIdsAsync(expected, batch[0].Id - 1, cancellationToken);
            return;
        }
        catch (ServerErrorException e) when (e.Status == HttpStatusCode.RequestEntityTooLarge && batch.Length > 1)
        {
            // Send fewer at a time; a single mutation too large for the server is refused below.
            _pushBatch = Math.Max(1, batch.Length / 2);
            return;
        }
        catch (ServerErrorException e) when (e.Status == HttpStatusCode.RequestEntityTooLarge)
        {
            // The server never ran it, so its id is still expected: a placeholder consumes it, and the app is told
            // the mutation was refused as too large.
            await ConsumeIdsAsync(batch[0].Id, batch[0].Id, cancellationToken);
            result = new PushResult([MutationResult.Rejected(batch[0].Id, e.Error)], batch[0].Id);
        }
        _pushBatch = Math.Max(1, options.MaxPushBatch);
        await applier.RecordAnswersAsync(result, cancellationToken);
    }

    /// <summary>Pushes placeholder mutations for ids <paramref name="first"/> to <paramref name="last"/>: a name no
    /// server has, so each is refused as <c>unknown_mutator</c> and its id is consumed without effect.</summary>
    private async Task ConsumeIdsAsync(long first, long last, CancellationToken cancellationToken)
    {
        using JsonDocument empty = JsonDocument.Parse("{}");
        Mutation[] placeholders = [.. Enumerable.Range(0, (int)(last - first + 1)).Select(i => new Mutation(first + i, PlaceholderMutator, empty.RootElement.Clone()))];
        await api.PushAsync(new PushRequest(state.Metadata.ClientId!, placeholders), cancellationToken);
    }

    private const string PlaceholderMutator = "$consumed";
}
