using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;
using Tether.Client;
using Tether.Client.Browser;
using Tether.Mutators;

namespace IssueTracker.Web.Services;

/// <summary>A change that was refused: by the server (the view already took it back, this only tells the user), or by
/// the mutator run locally (nothing was changed).</summary>
public sealed record RejectionNotice(long Key, string Mutation, string Code, string Message, bool ByServer);

/// <summary>
/// The signed-in user and their one <see cref="TetherClient"/>. Components read <see cref="Client"/> for queries and
/// mutations and re-render on <see cref="Changed"/> (status, pending count, bootstrap progress, rejections).
/// </summary>
public sealed class TetherSession(NavigationManager navigation, UserStorage storage, IJSRuntime js) : IAsyncDisposable
{
    private readonly List<RejectionNotice> _rejections = [];
    private long _noticeKeys;
    private IAsyncDisposable? _network;

    public string? UserId { get; private set; }

    public TetherClient? Client { get; private set; }

    /// <summary>Rows received by the running bootstrap, null when none runs.</summary>
    public long? BootstrapRows { get; private set; }

    public IReadOnlyList<RejectionNotice> Rejections => _rejections;

    /// <summary>Why the last sign-in failed, shown on the sign-in form.</summary>
    public string? Error { get; private set; }

    public bool Restoring { get; private set; } = true;

    /// <summary>Raised from any thread; handlers marshal with InvokeAsync.</summary>
    public event Action? Changed;

    /// <summary>Signs the remembered user back in after a reload.</summary>
    public async Task RestoreAsync()
    {
        try
        {
            if (SignInCredential.Parse(await storage.GetAsync() ?? "") is { } remembered)
            {
                await StartAsync(remembered);
            }
        }
        catch (Microsoft.JSInterop.JSException)
        {
            // Storage can be blocked (privacy settings); then there is simply nobody to restore.
        }
        finally
        {
            Restoring = false;
            Changed?.Invoke();
        }
    }

    /// <summary>Signs in with a user id (a development token) or a JWT (see <see cref="SignInCredential"/>).</summary>
    public async Task SignInAsync(string userIdOrToken)
    {
        if (SignInCredential.Parse(userIdOrToken) is not { } credential)
        {
            Error = "That token names no user (no \"sub\").";
            Changed?.Invoke();
            return;
        }
        await SignOutAsync();
        await storage.SetAsync(userIdOrToken.Trim());
        await StartAsync(credential);
    }

    public async Task SignOutAsync()
    {
        TetherClient? client = Client;
        Client = null;
        UserId = null;
        BootstrapRows = null;
        _rejections.Clear();
        if (_network is not null)
        {
            await _network.DisposeAsync();
            _network = null;
        }
        if (client is not null)
        {
            client.StatusChanged -= OnStatusChanged;
            client.PendingCountChanged -= OnPendingCountChanged;
            client.MutationRejected -= OnRejected;
            client.BootstrapProgress -= OnBootstrapProgress;
            await client.DisposeAsync();
        }
        await storage.ClearAsync();
        Changed?.Invoke();
    }

    /// <summary>Runs a mutation optimistically. A refusal by the local mutator (bad input, not a member) is shown
    /// rather than thrown into the component; the server's later refusals arrive as <see cref="Rejections"/>.</summary>
    public async Task MutateAsync<TArgs>(string name, TArgs args, JsonTypeInfo<TArgs> type)
    {
        if (Client is not { } client)
        {
            return;
        }
        try
        {
            // The handle's Confirmed is not awaited: the view already shows the change, and a rejection is reported
            // through the MutationRejected event. Observing it keeps an unobserved faulted task out of the logs.
            MutationHandle handle = await client.MutateAsync(name, args, type);
            _ = handle.Confirmed.ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
        }
        catch (MutationRejectedException e)
        {
            _rejections.Add(new RejectionNotice(++_noticeKeys, name, e.Code, e.Message, ByServer: false));
        }
        Changed?.Invoke();
    }

    public void DismissRejection(RejectionNotice notice)
    {
        _rejections.Remove(notice);
        Changed?.Invoke();
    }

    private async Task StartAsync(SignInCredential credential)
    {
        string userId = credential.UserId;
        Error = null;
        try
        {
            Client = await TetherClient.StartAsync(new TetherClientOptions
            {
                // The app is served by the sync server itself, so the sync endpoints are on the same origin.
                ServerUrl = new Uri(new Uri(navigation.BaseUri), "sync/"),
                UserId = userId,
                TokenProvider = _ => ValueTask.FromResult(credential.Token),
                Mutators = IssueTrackerMutators.All,
                SchemaVersion = IssueTrackerSchema.Version,
                Store = await LocalStoreFactory.CreateAsync(js, userId),
                // A page opened offline tries nothing until the browser says the network is back.
                NetworkAvailable = await BrowserNetwork.IsOnlineAsync(js),
                // The board and the issue page look issues and comments up by their parent.
                Indexes =
                [
                    new LocalIndex(IssueTrackerModels.Issue, "projectId"),
                    new LocalIndex(IssueTrackerModels.Comment, "issueId"),
                ],
            });
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Error = $"Could not start sync: {e.Message}";
            Changed?.Invoke();
            return;
        }
        UserId = userId;
        // Offline the moment the browser says so, back the moment it returns (not after timeouts and backoff).
        _network = await BrowserNetwork.FollowAsync(js, Client);
        Client.StatusChanged += OnStatusChanged;
        Client.PendingCountChanged += OnPendingCountChanged;
        Client.MutationRejected += OnRejected;
        Client.BootstrapProgress += OnBootstrapProgress;
        Changed?.Invoke();
    }

    private void OnPendingCountChanged(object? sender, int pending) => Changed?.Invoke();

    private void OnStatusChanged(object? sender, ClientStatus status)
    {
        if (status != ClientStatus.Bootstrapping)
        {
            BootstrapRows = null;
        }
        Changed?.Invoke();
    }

    private void OnBootstrapProgress(object? sender, long rows)
    {
        BootstrapRows = rows;
        Changed?.Invoke();
    }

    private void OnRejected(object? sender, MutationRejectedEventArgs e)
    {
        _rejections.Add(new RejectionNotice(++_noticeKeys, e.Name, e.Code, e.Message, ByServer: true));
        Changed?.Invoke();
    }

    public async ValueTask DisposeAsync()
    {
        if (_network is not null)
        {
            await _network.DisposeAsync();
        }
        if (Client is not null)
        {
            await Client.DisposeAsync();
        }
    }
}
