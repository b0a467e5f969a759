using Tether.Mutators;
using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Tether.Protocol;
using Tether.Server.Internal.Http;
using Tether.Server.Storage;

namespace Tether.Server.Internal.Endpoints;

/// <summary><c>POST /sync/bootstrap</c>: the user's records streamed as NDJSON from one read snapshot, so the rows
/// reflect exactly the actions up to <c>firstSyncId</c>.</summary>
internal sealed class BootstrapEndpoint(RequestGuard guard, ITetherStore store, GroupResolution groups, TetherJson json, IOptions<TetherServerOptions> options)
{
    private static readonly byte[] NewLine = "\n"u8.ToArray();

    // Closes the rows array and the line's object, and ends the line.
    private static readonly byte[] PageEnd = "]}\n"u8.ToArray();

    public async Task HandleAsync(HttpContext http)
    {
        string? userId = await guard.AdmitAsync(http);
        if (userId is null)
        {
            return;
        }
        TetherServerOptions settings = options.Value;
        byte[]? body = await BodyReader.ReadAsync(http, settings.Limits.MaxBodyBytes);
        if (body is null)
        {
            await ErrorResults.WriteAsync(http, PushEndpoint.TooLarge(settings.Limits));
            return;
        }
        BootstrapRequest? request = JsonRequests.Parse(body, json.Context.BootstrapRequest, out ErrorBody? parseError);
        ErrorBody? invalid = request is null ? parseError : Validate(request, settings);
        if (invalid is not null)
        {
            await ErrorResults.WriteAsync(http, invalid);
            return;
        }
        CancellationToken aborted = http.RequestAborted;
        await using ITetherReadSnapshot snapshot = await store.BeginReadAsync(aborted);
        IReadOnlySet<string> userGroups = await groups.ResolveAsync(userId, snapshot, aborted);
        IReadOnlyCollection<string> covered = userGroups;
        if (request!.Type == BootstrapTypes.Lazy)
        {
            string[] foreign = [.. request.SyncGroups!.Where(g => !userGroups.Contains(g))];
            if (foreign.Length > 0)
            {
                await ErrorResults.WriteAsync(http, new ErrorBody(ErrorCodes.Forbidden, $"Sync group '{foreign[0]}' is not one of this user's."));
                return;
            }
            covered = request.SyncGroups!.Distinct(StringComparer.Ordinal).ToArray();
        }
        IReadOnlyCollection<string> models = request.Models is { Count: > 0 } asked ? asked.Distinct(StringComparer.Ordinal).ToArray() : settings.Models;

        http.Response.ContentType = ProtocolHeaders.NdjsonContentType;
        PipeWriter output = http.Response.BodyWriter;
        WriteLine(output, new BootstrapLine(BootstrapLineTypes.Start)
        {
            FirstSyncId = snapshot.Head,
            SyncGroups = covered.Order(StringComparer.Ordinal).ToArray(),
            SchemaVersion = settings.SupportedSchema.Max.ToString(CultureInfo.InvariantCulture),
        });
        await output.FlushAsync(aborted);

        long rowCount;
        await using (IStoredRecordCursor records = snapshot.ReadRecords(models, covered))
        {
            rowCount = await StreamRowsAsync(output, records, settings.Limits.BootstrapPageSize, aborted);
        }
        WriteLine(output, new BootstrapLine(BootstrapLineTypes.End) { RowCount = rowCount });
        await output.FlushAsync(aborted);
    }

    /// <summary>Writes the rows as <c>rows</c> lines of at most <paramref name="pageSize"/> records of one model,
    /// copying each record's stored UTF-8 JSON in as it is, neither parsed nor decoded.</summary>
    private static async Task<long> StreamRowsAsync(PipeWriter output, IStoredRecordCursor records, int pageSize, CancellationToken cancellationToken)
    {
        long count = 0;
        string? model = null;
        int inPage = 0;
        while (await records.ReadAsync(cancellationToken))
        {
            if (model is not null && (records.ModelName != model || inPage == pageSize))
            {
                await EndPageAsync(output, cancellationToken);
                model = null;
            }
            if (model is null)
            {
                model = records.ModelName;
                inPage = 0;
                StartPage(output, model);
            }
            WriteRow(output, records.Data, first: inPage == 0);
            inPage++;
            count++;
        }
        if (model is not null)
        {
            await EndPageAsync(output, cancellationToken);
        }
        return count;
    }

    /// <summary>The line up to the opening bracket of its rows; the writer escapes the model name.</summary>
    private static void StartPage(PipeWriter output, string model)
    {
        using var writer = new Utf8JsonWriter(output);
        writer.WriteStartObject();
        writer.WriteString("type", BootstrapLineTypes.Rows);
        writer.WriteString("modelName", model);
        writer.WriteStartArray("rows");
    }

    private static void WriteRow(PipeWriter output, ReadOnlySpan<byte> data, bool first)
    {
        int length = data.Length + (first ? 0 : 1);
        Span<byte> span = output.GetSpan(length);
        if (!first)
        {
            span[0] = (byte)',';
            span = span[1..];
        }
        data.CopyTo(span);
        output.Advance(length);
    }

    private static async ValueTask EndPageAsync(PipeWriter output, CancellationToken cancellationToken)
    {
        output.Write(PageEnd);
        await output.FlushAsync(cancellationToken);
    }

    private static void WriteLine(PipeWriter output, BootstrapLine line)
    {
        using (var writer = new Utf8JsonWriter(output))
        {
            JsonSerializer.Serialize(writer, line, TetherJsonContext.Default.BootstrapLine);
        }
        output.Write(NewLine);
    }

    private static ErrorBody? Validate(BootstrapRequest request, TetherServerOptions settings)
    {
        if (request.Type is not (BootstrapTypes.Eager or BootstrapTypes.Lazy))
        {
            return new ErrorBody(ErrorCodes.BadRequest, "'type' is 'eager' or 'lazy'.");
        }
        if (request.Type == BootstrapTypes.Lazy && request.SyncGroups is not { Count: > 0 })
        {
            return new ErrorBody(ErrorCodes.BadRequest, "A lazy bootstrap names the 'syncGroups' it wants.");
        }
        // Null elements get past the nullable annotations of a list's items; they are refused here, not matched.
        if (request.SyncGroups?.Any(string.IsNullOrEmpty) == true || request.Models?.Any(string.IsNullOrEmpty) == true)
        {
            return new ErrorBody(ErrorCodes.BadRequest, "'models' and 'syncGroups' hold non-empty strings.");
        }
        string[] unknown = [.. request.Models?.Where(m => !settings.Models.Contains(m)) ?? []];
        if (unknown.Length > 0)
        {
            return new ErrorBody(ErrorCodes.BadRequest, $"'{unknown[0]}' is not a model of this server.");
        }
        return null;
    }
}
