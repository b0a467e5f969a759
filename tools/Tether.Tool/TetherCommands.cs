using System.CommandLine;
using System.Text.Json;
using Spectre.Console;

namespace Tether.Tool;

/// <summary>
/// The <c>tether</c> command line. Every command talks to one server, <c>--server</c> (or <c>TETHER_SERVER</c>), as
/// the user of <c>--token</c> (or <c>TETHER_TOKEN</c>), who must be one of the server's admins (<c>Tether:Admins</c>)
/// for all but <c>load</c>.
/// </summary>
internal static class TetherCommands
{
    private static readonly Option<Uri> Server = new("--server")
    {
        Description = "The server's sync base, e.g. http://localhost:5080/sync/ (or TETHER_SERVER)",
        DefaultValueFactory = _ => new Uri(Environment.GetEnvironmentVariable("TETHER_SERVER") ?? "http://localhost:5080/sync/"),
        Recursive = true,
    };

    private static readonly Option<string> Token = new("--token")
    {
        Description = "The bearer token: a JWT, or dev:<user> on a server in Development (or TETHER_TOKEN)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("TETHER_TOKEN") ?? "",
        Recursive = true,
    };

    public static RootCommand Build()
    {
        var root = new RootCommand("Look after a Tether sync server: its state, its log, who is connected, and load.");
        root.Options.Add(Server);
        root.Options.Add(Token);
        root.Subcommands.Add(Admin("status", "Head, horizon, connections, queue, retention and health (the sequencer's lag on PostgreSQL).", [], ShowStatusAsync));

        var limit = new Option<int>("--limit") { Description = "How many actions, newest first (1 to 1000)", DefaultValueFactory = _ => 20 };
        var model = new Option<string?>("--model") { Description = "Only actions of this model" };
        var modelId = new Option<string?>("--id") { Description = "Only actions of this record id" };
        var client = new Option<string?>("--client") { Description = "Only actions written by this client id" };
        root.Subcommands.Add(Admin("log", "The log's tail, newest first.", [limit, model, modelId, client],
            (admin, parse, ct) => ShowLogAsync(admin, LogQuery(parse.GetValue(limit), parse.GetValue(model), parse.GetValue(modelId), parse.GetValue(client)), ct)));

        root.Subcommands.Add(Admin("clients", "The connections open now, by user and transport.", [], ShowClientsAsync));

        var user = new Argument<string>("user") { Description = "The user id" };
        root.Subcommands.Add(Admin("groups", "The sync groups a user reads.", [user],
            (admin, parse, ct) => ShowGroupsAsync(admin, parse.GetValue(user)!, ct)));

        var upTo = new Option<long?>("--up-to") { Description = "Compact up to this syncId instead of applying the retention policy" };
        root.Subcommands.Add(Admin("compact", "Applies the retention policy now, or compacts up to a syncId.", [upTo],
            (admin, parse, ct) => CompactAsync(admin, parse.GetValue(upTo), ct)));

        root.Subcommands.Add(LoadCommand.Build(Server, Token));
        return root;
    }

    /// <summary>A command of the admin API: its options or arguments, and what it shows; a failure is one line on
    /// standard error and exit code 1.</summary>
    private static Command Admin(string name, string description, Symbol[] symbols, Func<AdminClient, ParseResult, CancellationToken, Task> show)
    {
        var command = new Command(name, description);
        foreach (Symbol symbol in symbols)
        {
            switch (symbol)
            {
                case Option option:
                    command.Options.Add(option);
                    break;
                case Argument argument:
                    command.Arguments.Add(argument);
                    break;
            }
        }
        command.SetAction((parse, ct) => RunAsync(parse, admin => show(admin, parse, ct)));
        return command;
    }

    private static Task<int> RunAsync(ParseResult parse, Func<AdminClient, Task> run) => RunAsync(async () =>
    {
        using var admin = new AdminClient(parse.GetValue(Server)!, parse.GetValue(Token)!);
        await run(admin);
    });

    /// <summary>Runs a command: 0 when it ends, 1 with its one-line explanation on standard error when it fails.</summary>
    public static async Task<int> RunAsync(Func<Task> run)
    {
        try
        {
            await run();
            return 0;
        }
        catch (ToolException e)
        {
            Console.Error.WriteLine(e.Message);
            return 1;
        }
    }

    private static async Task ShowStatusAsync(AdminClient admin, ParseResult parse, CancellationToken ct)
    {
        JsonElement status = await admin.GetAsync("admin/status", ct);
        var table = new Table().AddColumns("", "");
        table.HideHeaders();
        table.AddRow("head", Number(status, "head"));
        table.AddRow("horizon", Number(status, "horizon"));
        table.AddRow("fan-out position", Number(status, "fanoutPosition"));
        table.AddRow("live subscribers", Number(status, "subscribers"));
        table.AddRow("queued pushes", Number(status, "queuedPushes"));
        table.AddRow("node", Markup.Escape(status.GetProperty("node").GetString() ?? ""));
        table.AddRow("runs maintenance", status.GetProperty("runsMaintenance").GetBoolean() ? "yes" : "no");
        foreach (JsonProperty figure in status.GetProperty("commits").EnumerateObject())
        {
            table.AddRow($"commits: {Markup.Escape(figure.Name)}", figure.Value.GetRawText());
        }
        foreach (JsonProperty transport in status.GetProperty("connections").EnumerateObject())
        {
            table.AddRow($"connections: {Markup.Escape(transport.Name)}", transport.Value.GetRawText());
        }
        foreach (JsonProperty rule in status.GetProperty("retention").EnumerateObject())
        {
            table.AddRow($"retention: {Markup.Escape(rule.Name)}", rule.Value.GetRawText());
        }
        if (status.TryGetProperty("health", out JsonElement health))
        {
            table.AddRow("health", Markup.Escape(health.GetProperty("status").GetString() ?? ""));
            foreach (JsonProperty check in health.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Object))
            {
                foreach (JsonProperty field in check.Value.EnumerateObject())
                {
                    table.AddRow(Markup.Escape($"{check.Name}: {field.Name}"), Markup.Escape(field.Value.ToString()));
                }
            }
        }
        AnsiConsole.Write(table);
    }

    private static string LogQuery(int limit, string? model, string? modelId, string? client)
    {
        var query = new List<string> { $"limit={limit}" };
        if (model is not null)
        {
            query.Add("model=" + Uri.EscapeDataString(model));
        }
        if (modelId is not null)
        {
            query.Add("modelId=" + Uri.EscapeDataString(modelId));
        }
        if (client is not null)
        {
            query.Add("clientId=" + Uri.EscapeDataString(client));
        }
        return "admin/log?" + string.Join('&', query);
    }

    private static async Task ShowLogAsync(AdminClient admin, string path, CancellationToken ct)
    {
        JsonElement log = await admin.GetAsync(path, ct);
        var table = new Table().AddColumns("syncId", "action", "model", "id", "client", "mutation", "groups");
        foreach (JsonElement action in log.GetProperty("actions").EnumerateArray())
        {
            table.AddRow(
                Number(action, "syncId"),
                Markup.Escape(action.GetProperty("action").GetString() ?? ""),
                Markup.Escape(action.GetProperty("model").GetString() ?? ""),
                Markup.Escape(action.GetProperty("modelId").GetString() ?? ""),
                Markup.Escape(action.TryGetProperty("clientId", out JsonElement c) ? c.GetString() ?? "" : ""),
                action.TryGetProperty("mutationId", out JsonElement m) ? m.GetRawText() : "",
                Markup.Escape(string.Join(", ", action.GetProperty("groups").EnumerateArray().Select(g => g.GetString()))));
        }
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"head {Number(log, "head")}, horizon {Number(log, "horizon")}");
    }

    private static async Task ShowClientsAsync(AdminClient admin, ParseResult parse, CancellationToken ct)
    {
        JsonElement clients = await admin.GetAsync("admin/clients", ct);
        JsonElement[] open = [.. clients.GetProperty("connections").EnumerateArray()];
        var table = new Table().AddColumns("user", "transport", "connections", "oldest opened");
        foreach (var group in open.GroupBy(c => (User: c.GetProperty("userId").GetString() ?? "", Transport: c.GetProperty("transport").GetString() ?? ""))
            .OrderBy(g => g.Key.User, StringComparer.Ordinal).ThenBy(g => g.Key.Transport, StringComparer.Ordinal))
        {
            table.AddRow(Markup.Escape(group.Key.User), Markup.Escape(group.Key.Transport), group.Count().ToString(System.Globalization.CultureInfo.InvariantCulture),
                Markup.Escape(group.Min(c => c.GetProperty("openedAt").GetString()) ?? ""));
        }
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"{open.Length} open connection(s)");
    }

    private static async Task ShowGroupsAsync(AdminClient admin, string user, CancellationToken ct)
    {
        JsonElement groups = await admin.GetAsync("admin/groups/" + Uri.EscapeDataString(user), ct);
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(user)}[/] reads:");
        foreach (JsonElement group in groups.GetProperty("groups").EnumerateArray())
        {
            AnsiConsole.MarkupLine("  " + Markup.Escape(group.GetString() ?? ""));
        }
    }

    private static async Task CompactAsync(AdminClient admin, long? upTo, CancellationToken ct)
    {
        JsonElement result = await admin.PostAsync(upTo is { } syncId ? $"admin/compact?upTo={syncId}" : "admin/compact", ct);
        AnsiConsole.MarkupLine($"horizon {Number(result, "horizon")}");
    }

    private static string Number(JsonElement element, string name) => element.GetProperty(name).GetRawText();
}
