namespace Tether.Replicache;

/// <summary>How the Replicache front end bounds what clients send.</summary>
public sealed class ReplicacheOptions
{
    /// <summary>Longest <c>clientGroupID</c>, in characters (Replicache's own are 20 or so).</summary>
    public int MaxClientGroupIdLength { get; set; } = 256;

    /// <summary>Longest <c>clientID</c>, in characters.</summary>
    public int MaxClientIdLength { get; set; } = 200;

    /// <summary>Largest pull request body, in bytes: a pull names a group, a cookie and versions, far below this.</summary>
    public int MaxPullBodyBytes { get; set; } = 64 * 1024;
}
