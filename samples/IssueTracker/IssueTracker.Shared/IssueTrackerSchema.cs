namespace IssueTracker;

/// <summary>The app schema version that clients send in <c>Tether-Schema</c>.</summary>
public static class IssueTrackerSchema
{
    /// <summary>Raise it whenever a record shape or a mutator's arguments change incompatibly.</summary>
    public const int Version = 1;
}
