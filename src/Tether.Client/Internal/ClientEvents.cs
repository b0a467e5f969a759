using Microsoft.Extensions.Logging;

namespace Tether.Client.Internal;

/// <summary>The client's status machine and the app's events: raised with the public client as sender, and an
/// exception of an app handler is logged, never allowed to stop the client.</summary>
internal sealed class ClientEvents(object sender, ILogger logger)
{
    private readonly Lock _statusLock = new();
    private ClientStatus _status = ClientStatus.Starting;

    public ILogger Logger => logger;

    public ClientStatus Status => _status;

    public Exception? Failure { get; private set; }

    public EventHandler<ClientStatus>? StatusChanged;
    public EventHandler<MutationRejectedEventArgs>? MutationRejected;
    public EventHandler<long>? BootstrapProgress;
    public EventHandler<int>? PendingCountChanged;

    /// <summary>Moves the state machine; Failed is final (a new client is needed after fixing its cause).</summary>
    public void SetStatus(ClientStatus status, Exception? failure = null)
    {
        lock (_statusLock)
        {
            if (_status == ClientStatus.Failed)
            {
                return;
            }
            if (failure is not null)
            {
                Failure = failure;
            }
            if (_status == status)
            {
                return;
            }
            _status = status;
        }
        ClientLog.Status(logger, status);
        Raise(StatusChanged, status);
    }

    public void Raise<TArgs>(EventHandler<TArgs>? handler, TArgs args)
    {
        if (handler is null)
        {
            return;
        }
        foreach (EventHandler<TArgs> one in handler.GetInvocationList().Cast<EventHandler<TArgs>>())
        {
            try
            {
                one(sender, args);
            }
            catch (Exception e)
            {
                HandlerFailed(e);
            }
        }
    }

    public void HandlerFailed(Exception e) => ClientLog.HandlerFailed(logger, e);
}
