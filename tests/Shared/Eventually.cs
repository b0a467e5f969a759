using Xunit;

namespace Tether.Tests;

/// <summary>Waiting for a condition that other parts (clients, servers) make true in their own time.</summary>
public static class Eventually
{
    /// <summary>Returns once <paramref name="condition"/> holds, checking it every 20 ms; fails the test with
    /// <paramref name="what"/> when <paramref name="timeout"/> passes first.</summary>
    public static async Task HoldsAsync(Func<bool> condition, string what, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (!condition())
        {
            try
            {
                await Task.Delay(20, deadline.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail("Timed out waiting until " + what);
            }
        }
    }
}
