using System.Net.WebSockets;
using System.Text.Json;

namespace Tether.Client.Internal;

/// <summary>A stream of server frames (handshake, sync, groups, error), from a WebSocket or Server-Sent Events.</summary>
internal interface ILiveChannel : IAsyncDisposable
{
    /// <summary>The next frame, or null when the server ended the stream.</summary>
    ValueTask<JsonElement?> ReceiveAsync(CancellationToken cancellationToken);
}

internal static class LiveChannels
{
    /// <summary>Opens the configured transport; with <see cref="LiveTransport.Auto"/> a WebSocket that cannot be
    /// opened (a proxy that refuses upgrades) falls back to Server-Sent Events.</summary>
    public static async Task<ILiveChannel> OpenAsync(ServerApi api, TetherClientOptions options, string clientId, CancellationToken cancellationToken)
    {
        if (options.Transport == LiveTransport.ServerSentEvents)
        {
            return await SseChannel.OpenAsync(api, clientId, cancellationToken);
        }
        try
        {
            return await WebSocketChannel.OpenAsync(api, options, clientId, cancellationToken);
        }
        catch (WebSocketException) when (options.Transport == LiveTransport.Auto)
        {
            // Server-Sent Events go over plain HTTP, whose error answers (401, 409) the client understands.
            return await SseChannel.OpenAsync(api, clientId, cancellationToken);
        }
    }
}

internal sealed class WebSocketChannel(ClientWebSocket socket) : ILiveChannel
{
    // A connection being replaced may be half-open; its close handshake is not worth waiting for longer than this.
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(1);

    private readonly byte[] _buffer = new byte[64 * 1024];

    public static async Task<WebSocketChannel> OpenAsync(ServerApi api, TetherClientOptions options, string clientId, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        try
        {
            socket.Options.AddSubProtocol(Protocol.ProtocolHeaders.WebSocketSubProtocol);
            // Browsers cannot set headers on a WebSocket: the token and versions travel in the query, as the contract allows.
            string token = await api.TokenAsync(refresh: false, cancellationToken);
            var uri = new UriBuilder(new Uri(api.ServerUrl, "live"))
            {
                Scheme = api.ServerUrl.Scheme == "https" ? "wss" : "ws",
                Query = $"clientId={Uri.EscapeDataString(clientId)}&protocol={Protocol.ProtocolHeaders.Version}&schema={options.SchemaVersion}&access_token={Uri.EscapeDataString(token)}",
            };
            // The status code tells a refused token or schema from a network failure. Browsers do not expose the
            // handshake response (setting this throws PlatformNotSupportedException under WebAssembly), so there a
            // refused WebSocket is a plain failure and the client falls back to Server-Sent Events, which report status.
            if (!OperatingSystem.IsBrowser())
            {
                socket.Options.CollectHttpResponseDetails = true;
            }
            try
            {
                if (options.HttpHandler is { } handler)
                {
                    await socket.ConnectAsync(uri.Uri, new HttpMessageInvoker(handler, disposeHandler: false), cancellationToken);
                }
                else
                {
                    await socket.ConnectAsync(uri.Uri, cancellationToken);
                }
            }
            catch (WebSocketException) when (socket.HttpStatusCode == System.Net.HttpStatusCode.Unauthorized)
            {
                // The next attempt asks the token provider for a fresh token.
                await api.TokenAsync(refresh: true, cancellationToken);
                throw;
            }
            catch (WebSocketException) when (socket.HttpStatusCode == System.Net.HttpStatusCode.Conflict && options.Transport == LiveTransport.WebSocket)
            {
                throw new ServerErrorException(System.Net.HttpStatusCode.Conflict, new Protocol.ErrorBody(Protocol.ErrorCodes.SchemaMismatch, "The server does not support this client's protocol or schema version."), null);
            }
            return new WebSocketChannel(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public async ValueTask<JsonElement?> ReceiveAsync(CancellationToken cancellationToken)
    {
        using var message = new MemoryStream();
        while (true)
        {
            ValueWebSocketReceiveResult result = await socket.ReceiveAsync(_buffer.AsMemory(), cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }
            message.Write(_buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return JsonDocument.Parse(message.ToArray()).RootElement.Clone();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (socket.State == WebSocketState.Open)
        {
            using var timeout = new CancellationTokenSource(CloseTimeout);
            try
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
                // The connection is already broken; disposing below releases it either way.
            }
        }
        socket.Dispose();
    }
}

internal sealed class SseChannel(HttpResponseMessage response, StreamReader reader) : ILiveChannel
{
    public static async Task<SseChannel> OpenAsync(ServerApi api, string clientId, CancellationToken cancellationToken)
    {
        HttpResponseMessage response = await api.SendAsync(
            () => new HttpRequestMessage(HttpMethod.Get, new Uri(api.ServerUrl, $"events?clientId={Uri.EscapeDataString(clientId)}")),
            HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        return new SseChannel(response, new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken)));
    }

    public async ValueTask<JsonElement?> ReceiveAsync(CancellationToken cancellationToken)
    {
        string? data = null;
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0 && data is not null)
            {
                return JsonDocument.Parse(data).RootElement.Clone();
            }
            if (line.StartsWith("data:", StringComparison.Ordinal))
            {
                data = line[5..].TrimStart();
            }
        }
        return null;
    }

    public ValueTask DisposeAsync()
    {
        reader.Dispose();
        response.Dispose();
        return ValueTask.CompletedTask;
    }
}
