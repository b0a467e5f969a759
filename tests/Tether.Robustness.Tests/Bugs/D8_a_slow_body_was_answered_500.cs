using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tether.Server.Tests.Harness;

namespace Tether.Robustness.Tests.Bugs;

/// <summary>D8: a request body that arrived slower than about 240 B/s (Kestrel's minimum data rate, after a 5 s grace
/// period) was answered 500 <c>internal</c> after about 5.5 s, with an error-level log entry and a stack trace.</summary>
public sealed class D8_a_slow_body_was_answered_500
{
    private static readonly string[] Paths = ["/sync/push", "/sync/bootstrap", "/replicache/push", "/replicache/pull", "/livestore?storeId=s&transport=http"];

    [Fact]
    public async Task A_body_that_trickles_is_answered_408_request_timeout_and_logged_as_the_clients_fault()
    {
        var logs = new LogCollector();
        await using TestServer server = await TestServer.StartAsync(new TestServerSettings
        {
            Builder = builder => builder.Services.AddSingleton<ILoggerProvider>(logs),
        });

        // Kestrel's own default rate and grace period, for every endpoint at once.
        (int Status, string Body)[] answers = await Task.WhenAll(Paths.Select(path => TrickleAsync(server, path)));

        for (int i = 0; i < Paths.Length; i++)
        {
            Assert.True(answers[i].Status == 408, $"{Paths[i]} answered {answers[i].Status}: {answers[i].Body}");
            JsonElement error = JsonDocument.Parse(answers[i].Body).RootElement.GetProperty("error");
            Assert.Equal("request_timeout", error.GetProperty("code").GetString());
            Assert.DoesNotContain("Exception", answers[i].Body, StringComparison.Ordinal);
        }
        // The harness keeps warnings and errors; a slow client is neither, and its entry carries no stack trace.
        Assert.DoesNotContain(logs.Entries, entry => entry.Level >= LogLevel.Warning || entry.Exception is not null);
    }

    /// <summary>Sends the headers of a 1,000-byte body, then one byte every quarter second, until the server answers;
    /// returns the answer's status and body.</summary>
    private static async Task<(int Status, string Body)> TrickleAsync(TestServer server, string path)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", server.BaseAddress.Port, timeout.Token);
        NetworkStream stream = client.GetStream();
        string head = $"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer dev:alice\r\n"
            + "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), timeout.Token);

        using var answered = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
        Task trickle = TrickleBodyAsync(stream, answered.Token);
        (int status, string body) = await ReadResponseAsync(stream, timeout.Token);
        await answered.CancelAsync();
        await trickle;
        return (status, body);
    }

    private static async Task TrickleBodyAsync(NetworkStream stream, CancellationToken answered)
    {
        try
        {
            for (int i = 0; i < 1000; i++)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), answered);
                await stream.WriteAsync(" "u8.ToArray(), answered);
            }
        }
        catch (OperationCanceledException) when (answered.IsCancellationRequested)
        {
            // The answer came: the body is not wanted any more.
        }
        catch (IOException)
        {
            // The server closed the connection after answering, which is its right after a timed-out body.
        }
    }

    /// <summary>Reads one HTTP/1.1 response: the status line and the body (Content-Length or chunked).</summary>
    private static async Task<(int Status, string Body)> ReadResponseAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var reader = new ByteReader(stream, cancellationToken);
        string statusLine = await reader.LineAsync();
        int status = int.Parse(statusLine.Split(' ')[1], CultureInfo.InvariantCulture);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (string line = await reader.LineAsync(); line.Length > 0; line = await reader.LineAsync())
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..colon]] = line[(colon + 1)..].Trim();
        }
        var body = new MemoryStream();
        if (headers.TryGetValue("Content-Length", out string? length))
        {
            body.Write(await reader.BytesAsync(int.Parse(length, CultureInfo.InvariantCulture)));
        }
        else if (headers.TryGetValue("Transfer-Encoding", out string? encoding) && encoding.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            for (int size = ChunkSize(await reader.LineAsync()); size > 0; size = ChunkSize(await reader.LineAsync()))
            {
                body.Write(await reader.BytesAsync(size));
                await reader.LineAsync();
            }
        }
        return (status, Encoding.UTF8.GetString(body.ToArray()));
    }

    private static int ChunkSize(string line) => int.Parse(line.Split(';')[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    private sealed class ByteReader(NetworkStream stream, CancellationToken cancellationToken)
    {
        private readonly byte[] _one = new byte[1];

        public async Task<string> LineAsync()
        {
            var line = new StringBuilder();
            while (true)
            {
                byte b = await NextAsync();
                if (b == '\n')
                {
                    return line.ToString().TrimEnd('\r');
                }
                line.Append((char)b);
            }
        }

        public async Task<byte[]> BytesAsync(int count)
        {
            byte[] bytes = new byte[count];
            await stream.ReadExactlyAsync(bytes, cancellationToken);
            return bytes;
        }

        private async Task<byte> NextAsync()
        {
            await stream.ReadExactlyAsync(_one, cancellationToken);
            return _one[0];
        }
    }

    private sealed record LogEntry(string Category, LogLevel Level, Exception? Exception);

    /// <summary>Keeps every entry the host's filters let through.</summary>
    private sealed class LogCollector : ILoggerProvider
    {
        public ConcurrentQueue<LogEntry> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, Entries);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, ConcurrentQueue<LogEntry> entries) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
                => entries.Enqueue(new LogEntry(category, logLevel, exception));
        }
    }
}
