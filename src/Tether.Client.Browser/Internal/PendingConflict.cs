using Microsoft.JSInterop;

namespace Tether.Client.Browser.Internal;

/// <summary>The module's refusal of a pending mutation id that is already stored, as the store reports it.</summary>
internal static class PendingConflict
{
    public static bool Is(JSException e) => e.Message.Contains("already stored", StringComparison.Ordinal);

    public static InvalidOperationException From(JSException e) => new(e.Message.Split('\n')[0], e);
}
