namespace Tether.Server.Tests.Harness;

/// <summary>Builds teams, projects and issues through the app's real mutators, counting each client's mutation ids.</summary>
public sealed class Seed(SyncApi api, string clientId)
{
    private long _nextId = 1;

    public string ClientId => clientId;
    public long NextId => _nextId;

    public Task<long> RunAsync(string name, object args) => api.ApplyAsync(clientId, _nextId++, name, args);

    public Task<long> TeamAsync(string teamId) => RunAsync("createTeam", new { id = teamId, name = "Team " + teamId });
    public Task<long> MemberAsync(string teamId, string userId) => RunAsync("addMember", new { teamId, userId });
    public Task<long> ProjectAsync(string projectId, string teamId) => RunAsync("createProject", new { id = projectId, teamId, name = "Project " + projectId });
    public Task<long> IssueAsync(string issueId, string projectId, string title = "An issue") => RunAsync("createIssue", new { id = issueId, projectId, title });

    /// <summary>A team with one project, owned by this seed's user.</summary>
    public async Task<long> TeamWithProjectAsync(string teamId, string projectId)
    {
        await TeamAsync(teamId);
        return await ProjectAsync(projectId, teamId);
    }
}
