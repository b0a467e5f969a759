namespace Tether.EntityFrameworkCore.Tests.App;

/// <summary>Work the test app does at startup, after its own <c>EnsureCreated</c> and before Tether starts (seeding
/// rows, say), in a scope of its own. A test registers it in the app's services.</summary>
public sealed record AppStartup(Func<IServiceProvider, Task> RunAsync);
