namespace IssueTracker.Web.Components;

/// <summary>How the issue states read in the UI.</summary>
public static class StatusNames
{
    public static string Of(string? status) => status switch
    {
        IssueStatus.Todo => "Todo",
        IssueStatus.Doing => "In progress",
        IssueStatus.Done => "Done",
        _ => status ?? "Todo",
    };
}
