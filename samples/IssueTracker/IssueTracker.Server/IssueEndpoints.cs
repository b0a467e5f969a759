using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using IssueTracker.Entities;
using IssueTracker.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Tether.Mutators;
using Tether.Protocol;
using Tether.Server;
using Tether.Server.Extensibility;
using static IssueTracker.IssueTrackerModels;

namespace IssueTracker.Server;

/// <summary>A new issue as <c>POST /api/projects/{projectId}/issues</c> takes it.</summary>
public sealed record NewIssueRequest(string Id, string Title, string? Description = null, string? Status = null);

/// <summary>Reads request bodies like the mutators read their arguments: a missing or null required field and a
/// field the request does not know (a typo) all fail.</summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(NewIssueRequest))]
internal sealed partial class IssueApiJson : JsonSerializerContext;

/// <summary>
/// A plain REST endpoint beside the sync protocol, as an existing app has them: it writes the issue with EF Core
/// (<c>Add</c> and <c>SaveChangesAsync</c>) and no mutator, and Tether sends the new row to the team's clients like
/// any mutation's. The caller signs in with the same bearer tokens and within the same request rate as the sync
/// endpoints (<see cref="ITetherRequestGuard"/>), and the same rules as <c>createIssue</c> apply: 400 for an invalid
/// field or an id that exists, 404 when the project does not exist, 403 when the caller is not a member of its
/// team; 201 with the issue's record JSON when it is written.
/// </summary>
public static class IssueEndpoints
{
    public const string CreateIssuePattern = "/api/projects/{projectId}/issues";

    public static void MapIssueEndpoints(this IEndpointRouteBuilder endpoints)
    {
        ITetherRequestGuard guard = endpoints.ServiceProvider.GetRequiredService<ITetherRequestGuard>();
        endpoints.MapPost(CreateIssuePattern, guard.HandleErrors(CreateIssueAsync));
    }

    private static async Task CreateIssueAsync(HttpContext http)
    {
        ITetherRequestGuard guard = http.RequestServices.GetRequiredService<ITetherRequestGuard>();
        string? userId = await guard.AdmitAsync(http).ConfigureAwait(false);
        if (userId is null)
        {
            return;
        }
        string projectId = (string)http.Request.RouteValues["projectId"]!;
        TetherLimits limits = http.RequestServices.GetRequiredService<IOptions<TetherServerOptions>>().Value.Limits;
        byte[]? body = await BodyReader.ReadAsync(http, limits.MaxBodyBytes).ConfigureAwait(false);
        if (body is null)
        {
            await ErrorResults.WriteAsync(http, new ErrorBody(ErrorCodes.PayloadTooLarge, $"The request is larger than {limits.MaxBodyBytes} bytes.")).ConfigureAwait(false);
            return;
        }
        Issue issue;
        try
        {
            issue = NewIssue(Read(body), userId);
        }
        catch (MutationRejectedException invalid)
        {
            await ErrorResults.WriteAsync(http, new ErrorBody(ErrorCodes.BadRequest, invalid.Message)).ConfigureAwait(false);
            return;
        }

        IssueTrackerDb db = http.RequestServices.GetRequiredService<IssueTrackerDb>();
        CancellationToken aborted = http.RequestAborted;
        Project? project = await db.Projects.AsNoTracking().FirstOrDefaultAsync(p => p.Id == projectId, aborted).ConfigureAwait(false);
        if (project is null)
        {
            await ErrorResults.WriteAsync(http, new ErrorBody(ErrorCodes.NotFound, $"There is no project '{projectId}'.")).ConfigureAwait(false);
            return;
        }
        // The membership record, and its fields, as TeamAccess checks it for the mutators.
        string memberId = MemberId(project.TeamId, userId);
        if (!await db.Members.AnyAsync(m => m.Id == memberId && m.TeamId == project.TeamId && m.UserId == userId, aborted).ConfigureAwait(false))
        {
            await ErrorResults.WriteAsync(http, new ErrorBody(ErrorCodes.Forbidden, $"You are not a member of team '{project.TeamId}'.")).ConfigureAwait(false);
            return;
        }
        issue.ProjectId = project.Id;
        issue.TeamId = project.TeamId;
        if (!await TryAddAsync(db, issue, aborted).ConfigureAwait(false))
        {
            await ErrorResults.WriteAsync(http, new ErrorBody(ErrorCodes.BadRequest, $"An issue with id '{issue.Id}' already exists.")).ConfigureAwait(false);
            return;
        }
        http.Response.StatusCode = StatusCodes.Status201Created;
        http.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(http.Response.Body, issue, Issues.Json, aborted).ConfigureAwait(false);
    }

    /// <summary>The request's fields, refused as a <see cref="MutationRejectedException"/> naming only the JSON path
    /// when the body does not fit.</summary>
    private static NewIssueRequest Read(byte[] body)
    {
        try
        {
            return JsonSerializer.Deserialize(body, IssueApiJson.Default.NewIssueRequest)
                ?? throw MutationRejectedException.InvalidArgs("The body is a JSON object, not null.");
        }
        catch (JsonException e)
        {
            // The exception's own text names .NET types.
            string where = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "" : $" at {e.Path}";
            throw MutationRejectedException.InvalidArgs($"The body is not an issue's {{id, title, description?, status?}}{where}.");
        }
    }

    /// <summary>The issue, checked as <c>createIssue</c> checks it; its project and team are set by the caller.</summary>
    private static Issue NewIssue(NewIssueRequest request, string userId) => new()
    {
        Id = FieldRules.RequireId(request.Id, "id"),
        CreatedBy = userId,
        CreatedAt = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
        Title = FieldRules.RequireName(request.Title, "title"),
        Description = FieldRules.OptionalText(request.Description, "description") ?? "",
        Status = request.Status is null ? IssueStatus.Todo : FieldRules.RequireStatus(request.Status),
    };

    /// <summary>Adds the issue; false when its id is taken, also by a writer that got there between the check and
    /// the insert (the key refuses the second row).</summary>
    private static async Task<bool> TryAddAsync(IssueTrackerDb db, Issue issue, CancellationToken cancellationToken)
    {
        if (await db.Issues.AnyAsync(i => i.Id == issue.Id, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }
        db.Issues.Add(issue);
        try
        {
            await db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            if (await db.Issues.AnyAsync(i => i.Id == issue.Id, cancellationToken).ConfigureAwait(false))
            {
                return false;
            }
            throw;
        }
    }
}
