namespace Tether.Server.Internal.Fanout;

/// <summary>
/// Hands each published batch to every subscriber. Subscribing and publishing take the same lock, so a subscriber
/// receives exactly the batches after its <see cref="LogSubscription.StartSyncId"/>: nothing missed, nothing twice.
/// </summary>
internal sealed class FanoutHub(TetherMetrics metrics) : ITetherLogFeed
{
    private readonly Lock _lock = new();
    private readonly List<LogSubscription> _subscriptions = [];
    private long _position;
    private TaskCompletionSource _advanced = NewSignal();
    private bool _started;
    private bool _stopped;

    /// <summary>The greatest syncId published so far.</summary>
    public long Position
    {
        get
        {
            lock (_lock)
            {
                return _position;
            }
        }
    }

    /// <summary>True once the server is stopping: nothing more will be published.</summary>
    public bool IsStopped
    {
        get
        {
            lock (_lock)
            {
                return _stopped;
            }
        }
    }

    /// <summary>Completes when the hub has published anything after the current position, or when it stops.</summary>
    public Task Advanced
    {
        get
        {
            lock (_lock)
            {
                return _advanced.Task;
            }
        }
    }

    public int SubscriberCount
    {
        get
        {
            lock (_lock)
            {
                return _subscriptions.Count;
            }
        }
    }

    /// <summary>Sets the position the tailer starts from; nothing before it is ever published.</summary>
    public void Start(long position)
    {
        lock (_lock)
        {
            _position = position;
            _started = true;
        }
    }

    public LogSubscription Subscribe(int capacity)
    {
        lock (_lock)
        {
            if (!_started)
            {
                throw new InvalidOperationException("The log tailer has not started yet.");
            }
            var subscription = new LogSubscription(this, _position, capacity);
            if (_stopped)
            {
                // Nothing will ever be published: the connection ends at once instead of idling.
                subscription.Complete();
                return subscription;
            }
            _subscriptions.Add(subscription);
            return subscription;
        }
    }

    public void Publish(LogBatch batch)
    {
        TaskCompletionSource advanced;
        List<LogSubscription>? cut = null;
        lock (_lock)
        {
            _position = batch.LastSyncId;
            for (int i = _subscriptions.Count - 1; i >= 0; i--)
            {
                if (!_subscriptions[i].Offer(batch))
                {
                    (cut ??= []).Add(_subscriptions[i]);
                    _subscriptions.RemoveAt(i);
                }
            }
            advanced = _advanced;
            _advanced = NewSignal();
        }
        foreach (LogSubscription slow in cut ?? [])
        {
            slow.CutOff();
            metrics.SlowReadersDropped.Add(1);
        }
        advanced.TrySetResult();
    }

    /// <summary>Ends every subscription (server shutting down): their readers see the queue complete.</summary>
    public void Stop()
    {
        TaskCompletionSource advanced;
        lock (_lock)
        {
            _stopped = true;
            foreach (LogSubscription subscription in _subscriptions)
            {
                subscription.Complete();
            }
            _subscriptions.Clear();
            advanced = _advanced;
        }
        advanced.TrySetResult();
    }

    /// <summary>Ends every subscription and moves the position without publishing (the actions in between were
    /// compacted away, or the database's head moved back): connections close, and their clients find out by delta
    /// that they must bootstrap again.</summary>
    public void Skip(long position)
    {
        LogSubscription[] cut;
        lock (_lock)
        {
            _position = position;
            cut = [.. _subscriptions];
            _subscriptions.Clear();
        }
        foreach (LogSubscription subscription in cut)
        {
            subscription.Complete();
        }
    }

    /// <summary>Waits (at most <paramref name="timeout"/>) until the position reaches <paramref name="syncId"/>:
    /// a client that already holds data up to a commit must not be handed a stream that starts before it.</summary>
    public async Task WaitForPositionAsync(long syncId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        while (Position < syncId && !IsStopped)
        {
            try
            {
                await Advanced.WaitAsync(limit.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    internal void Unsubscribe(LogSubscription subscription)
    {
        lock (_lock)
        {
            _subscriptions.Remove(subscription);
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
