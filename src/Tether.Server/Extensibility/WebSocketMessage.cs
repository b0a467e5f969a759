using System.Buffers;
using System.Net.WebSockets;

namespace Tether.Server.Extensibility;

/// <summary>How a read of one message ended.</summary>
public enum WebSocketRead
{
    /// <summary>A whole message was read.</summary>
    Message,
    /// <summary>The client closed its half.</summary>
    Closed,
    /// <summary>The message is longer than allowed; the rest of it was not read.</summary>
    TooBig,
}

/// <summary>One message read whole, in pooled memory that <see cref="Dispose"/> gives back.</summary>
public sealed class WebSocketMessage : IDisposable
{
    private byte[]? _buffer;
    private readonly int _length;

    private WebSocketMessage(WebSocketRead result, byte[]? buffer, int length)
    {
        Result = result;
        _buffer = buffer;
        _length = length;
    }

    /// <summary>The read that found the client's close.</summary>
    public static WebSocketMessage Closed { get; } = new(WebSocketRead.Closed, null, 0);

    /// <summary>The read that found a message over the limit.</summary>
    public static WebSocketMessage TooBig { get; } = new(WebSocketRead.TooBig, null, 0);

    /// <summary>How the read ended.</summary>
    public WebSocketRead Result { get; }

    /// <summary>The message's bytes; valid until <see cref="Dispose"/>.</summary>
    public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, _length);

    /// <summary>
    /// Waits for the next message without a buffer, then reads it whole into memory rented for the message alone.
    /// A connection spends nearly all of its life waiting; holding a receive buffer through that wait cost every
    /// idle connection several kilobytes, and more after its largest message.
    /// </summary>
    public static async ValueTask<WebSocketMessage> ReceiveAsync(WebSocket socket, int maxBytes, CancellationToken cancellationToken)
    {
        ValueWebSocketReceiveResult received = await socket.ReceiveAsync(Memory<byte>.Empty, cancellationToken).ConfigureAwait(false);
        if (received.MessageType == WebSocketMessageType.Close)
        {
            return Closed;
        }
        byte[] buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(4096L, maxBytes + 1L));
        int length = 0;
        try
        {
            while (!received.EndOfMessage)
            {
                if (length > maxBytes)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    return TooBig;
                }
                if (length == buffer.Length)
                {
                    buffer = Grow(buffer, (int)Math.Min(buffer.Length * 2L, maxBytes + 1L));
                }
                received = await socket.ReceiveAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    return Closed;
                }
                length += received.Count;
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
        if (length > maxBytes)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return TooBig;
        }
        return new WebSocketMessage(WebSocketRead.Message, buffer, length);
    }

    /// <summary>Starts the close handshake: sends the close frame with <paramref name="status"/> and
    /// <paramref name="reason"/> when the socket can still send one, waiting at most <paramref name="timeout"/>. False
    /// when the socket was past sending.</summary>
    public static async Task<bool> SendCloseAsync(WebSocket socket, WebSocketCloseStatus status, string reason, TimeSpan timeout, CancellationToken aborted = default)
    {
        if (socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
        {
            return false;
        }
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        bounded.CancelAfter(timeout);
        await socket.CloseOutputAsync(status, reason, bounded.Token).ConfigureAwait(false);
        return true;
    }

    /// <summary>After the server's close: reads and drops what the client still sends until its own close arrives or
    /// <paramref name="timeout"/> passes. A server that stopped reading at once would tear the connection down with
    /// the client's last frames unread, and the reset that follows can destroy the close frame before the client
    /// reads it.</summary>
    public static async Task DrainUntilClosedAsync(WebSocket socket, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        byte[] scratch = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            while (socket.State == WebSocketState.CloseSent)
            {
                ValueWebSocketReceiveResult received = await socket.ReceiveAsync(scratch.AsMemory(), deadline.Token).ConfigureAwait(false);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
            // The client did not answer the close in time, or left: the connection ends either way.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    /// <summary>Keeps the connection until the client goes or <paramref name="timeout"/> passes, when the socket did not
    /// end with a completed close handshake (its own protocol check failed mid-frame, say, and it can read no more):
    /// ending the connection at once with the client's bytes unread makes the kernel answer with a reset, which can
    /// destroy the close frame already on its way to the client.</summary>
    public static async Task LingerAsync(WebSocket socket, TimeSpan timeout, CancellationToken clientGone)
    {
        if (socket.State == WebSocketState.Closed)
        {
            return;
        }
        try
        {
            await Task.Delay(timeout, clientGone).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The client closed its end: nothing can be lost any more.
        }
    }

    private static byte[] Grow(byte[] buffer, int size)
    {
        byte[] larger = ArrayPool<byte>.Shared.Rent(size);
        buffer.AsSpan().CopyTo(larger);
        ArrayPool<byte>.Shared.Return(buffer);
        return larger;
    }

    /// <summary>Gives the message's memory back to the pool.</summary>
    public void Dispose()
    {
        if (_buffer is { } buffer)
        {
            _buffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
