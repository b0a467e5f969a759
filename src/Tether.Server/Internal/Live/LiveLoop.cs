using System.Diagnostics;
using Tether.Server.Internal.Fanout;

namespace Tether.Server.Internal.Live;

/// <summary>Why a live stream ended.</summary>
internal enum LiveEnd
{
    /// <summary>The connection's queue overflowed: it was too slow and resumes with delta.</summary>
    SlowReader,
    /// <summary>The server is stopping.</summary>
    ServerStopping,
    /// <summary>The client went away.</summary>
    ClientGone,
}

/// <summary>The part of live and SSE that does not depend on the transport: wait for batches, turn them into this
/// connection's frames, send them; send a heartbeat when nothing else was sent for a while.</summary>
internal static class LiveLoop
{
    public static async Task<LiveEnd> RunAsync(LogSubscription subscription, LiveSession session, Func<OutgoingFrame, Task> send, TimeSpan heartbeat, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                idle.CancelAfter(heartbeat);
                bool more;
                try
                {
                    more = await subscription.Batches.WaitToReadAsync(idle.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    await send(session.Heartbeat());
                    continue;
                }
                if (!more)
                {
                    return subscription.Overflowed ? LiveEnd.SlowReader : LiveEnd.ServerStopping;
                }
                while (subscription.Batches.TryRead(out LogBatch? batch))
                {
                    List<OutgoingFrame> frames = await session.FramesForAsync(batch, cancellationToken);
                    using Activity? delivery = frames.Count > 0 ? TetherActivities.Source.StartActivity("tether.deliver", ActivityKind.Producer, batch.Trace) : null;
                    delivery?.SetTag("tether.frames", frames.Count);
                    foreach (OutgoingFrame frame in frames)
                    {
                        await send(frame);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return subscription.Overflowed ? LiveEnd.SlowReader : LiveEnd.ClientGone;
        }
    }
}
