using IssueTracker.Web.Services;
using Microsoft.AspNetCore.Components;

namespace IssueTracker.Web.Components;

/// <summary>
/// A component that shows session state (status, pending count, notices). A parameterless child is not re-rendered
/// with its parent, so it listens to the session itself.
/// </summary>
public abstract class SessionComponent : ComponentBase, IDisposable
{
    [Inject] protected TetherSession Session { get; set; } = default!;

    protected override void OnInitialized() => Session.Changed += OnSessionChanged;

    private void OnSessionChanged() => _ = InvokeAsync(StateHasChanged);

    public void Dispose()
    {
        Session.Changed -= OnSessionChanged;
        GC.SuppressFinalize(this);
    }
}
