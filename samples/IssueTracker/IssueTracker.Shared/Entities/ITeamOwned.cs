namespace IssueTracker.Entities;

/// <summary>A record that belongs to one team, whose members alone may read and change it.</summary>
public interface ITeamOwned
{
    /// <summary>The team's id.</summary>
    string TeamId { get; }
}
