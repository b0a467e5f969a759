namespace IssueTracker;

/// <summary>The states of an issue.</summary>
public static class IssueStatus
{
    public const string Todo = "todo";
    public const string Doing = "doing";
    public const string Done = "done";

    public static IReadOnlyList<string> All { get; } = [Todo, Doing, Done];

    public static bool IsValid(string? status) => status is Todo or Doing or Done;
}
