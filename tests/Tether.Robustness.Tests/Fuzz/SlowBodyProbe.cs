using System.Net.Sockets;
using System.Text;

namespace Tether.Robustness.Tests.Fuzz;

/// <summary>
/// A request whose body trickles in at about 50 bytes a second, far below Kestrel's minimum data rate (240 B/s after a
/// 5 s grace), over a raw socket: HttpClient does not hand over an answer that arrives while the body is still being
/// sent, and that answer is what is under test (a slow client's fault: 4xx, never 5xx).
/// </summary>
internal static class SlowBodyProbe
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static async Task<(string Outcome, string? Problem)> SendAsync(Uri baseAddress, FuzzRequest request)
    {
        using var client = new TcpClient();
        using var deadline = new CancellationTokenSource(Timeout);
        await client.ConnectAsync(baseAddress.Host, baseAddress.Port, deadline.Token);
        NetworkStream stream = client.GetStream();
        var head = new StringBuilder();
        head.Append(request.Method).Append(' ').Append(request.PathAndQuery).Append(" HTTP/1.1\r\n");
        head.Append("Host: ").Append(baseAddress.Authority).Append("\r\nConnection: close\r\n");
        foreach ((string name, string value) in request.Headers)
        {
            head.Append(name).Append(": ").Append(value).Append("\r\n");
        }
        head.Append("Content-Type: ").Append(request.ContentType).Append("\r\nContent-Length: ").Append(request.Body!.Length).Append("\r\n\r\n");
        await stream.WriteAsync(Encoding.UTF8.GetBytes(head.ToString()), deadline.Token);

        Task<byte[]> answer = ReadToEndAsync(stream, deadline.Token);
        try
        {
            for (int offset = 0; offset < request.Body.Length && !answer.IsCompleted; offset += 5)
            {
                await stream.WriteAsync(request.Body.AsMemory(offset, Math.Min(5, request.Body.Length - offset)), deadline.Token);
                await Task.WhenAny(answer, Task.Delay(100, deadline.Token));
            }
        }
        catch (IOException)
        {
            // The server closed the connection on the slow body; its answer is read below.
        }
        byte[] response;
        try
        {
            response = await answer;
        }
        catch (OperationCanceledException)
        {
            return ("timeout", $"no answer within {Timeout.TotalSeconds} s");
        }
        return Check(response);
    }

    private static async Task<byte[]> ReadToEndAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var read = new MemoryStream();
        byte[] buffer = new byte[16 * 1024];
        try
        {
            int count;
            while ((count = await stream.ReadAsync(buffer, cancellationToken)) > 0)
            {
                read.Write(buffer, 0, count);
            }
        }
        catch (IOException)
        {
            // A reset after the answer: what arrived is the answer.
        }
        return read.ToArray();
    }

    private static (string Outcome, string? Problem) Check(byte[] response)
    {
        string text = Encoding.UTF8.GetString(response);
        int end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        string[] statusLine = text.Split("\r\n", 2)[0].Split(' ');
        if (end < 0 || statusLine.Length < 2 || !int.TryParse(statusLine[1], out int status))
        {
            return ("no-answer", "no HTTP answer to a slow body: " + FuzzRequest.Printable(response, 300));
        }
        string[] headers = text[..end].Split("\r\n")[1..];
        string body = text[(end + 4)..];
        string? contentType = headers.FirstOrDefault(h => h.StartsWith("Content-Type:", StringComparison.OrdinalIgnoreCase))?[13..].Split(';')[0].Trim();
        if (headers.Any(h => h.Equals("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase)))
        {
            body = Dechunk(body);
        }
        return (status.ToString(System.Globalization.CultureInfo.InvariantCulture), ResponseChecks.CheckHttp(status, contentType, body, headers));
    }

    private static string Dechunk(string chunked)
    {
        var body = new StringBuilder();
        int at = 0;
        while (at < chunked.Length)
        {
            int lineEnd = chunked.IndexOf("\r\n", at, StringComparison.Ordinal);
            if (lineEnd < 0 || !int.TryParse(chunked[at..lineEnd], System.Globalization.NumberStyles.HexNumber, null, out int size) || size == 0)
            {
                break;
            }
            body.Append(chunked, lineEnd + 2, Math.Min(size, chunked.Length - lineEnd - 2));
            at = lineEnd + 2 + size + 2;
        }
        return body.ToString();
    }
}
