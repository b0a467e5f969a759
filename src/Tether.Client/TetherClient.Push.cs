using System.Net;
using Tether.Client.Internal;
using Tether.Protocol;

namespace Tether.Client;

// Sending the pending queue: in order, in batches, retried with backoff until the server answers; a mutation is
// sent again after a restart or a lost answer, which the server's idempotent ids make safe.
public sealed partial class TetherClient
{
    private int _pushBatch;

    private async Task RunPushAsync(CancellationToken cancellationToken)
    {
        _pushBatch = Math.Max(1, _options.MaxPushBatch);
        Polly.ResiliencePipeline retry = RetryPipeline("push");
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                Mutation[] batch = await NextBatchAsync(cancellationToken);
                if (batch.Length == 0)
                {
                    await _pushWake.Reader.ReadAsync(cancellationToken);
                    continue;
                }
                await retry.ExecuteAsync(token => new ValueTask(PushOnceAsync(batch, token)), cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Disposed.
        }
        catch (Exception e)
        {
            LogFailed(e);
            SetStatus(ClientStatus.Failed, e);
        }
    }

    /// <summary>The oldest pending mutations the server has not answered yet.</summary>
    private async Task<Mutation[]> NextBatchAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return [.. _pending.Where(p => p.ReleaseAt is null).Take(_pushBatch).Select(p => new Mutation(p.Id, p.Name, p.Args))];
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task PushOnceAsync(Mutation[] batch, CancellationToken cancellationToken)
    {
        PushResult result;
        try
        {
            result = await _api.PushAsync(new PushRequest(ClientId, batch), cancellationToken);
        }
        catch (ServerErrorException e) when (e.Error.Code == ErrorCodes.MutationGap && e.Error.Expected is { } expected && expected > batch[0].Id)
        {
            // The server handled the first ones already (an answer was lost): they count as duplicates.
            result = new PushResult([.. batch.Where(m => m.Id < expected).Select(m => MutationResult.Duplicate(m.Id))], expected - 1);
        }
        catch (ServerErrorException e) when (e.Status == HttpStatusCode.RequestEntityTooLarge && batch.Length > 1)
        {
            // Send fewer at a time; a single mutation too large for the server is refused below like any rejection.
            _pushBatch = Math.Max(1, batch.Length / 2);
            return;
        }
        catch (ServerErrorException e) when (e.Status == HttpStatusCode.RequestEntityTooLarge)
        {
            result = new PushResult([MutationResult.Rejected(batch[0].Id, e.Error)], batch[0].Id);
        }
        await ApplyPushResultAsync(result, cancellationToken);
    }
}
