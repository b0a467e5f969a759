using System.Text.Json;
using Microsoft.JSInterop;
using Microsoft.Playwright;

namespace Tether.Browser.Tests.Harness;

/// <summary>
/// An <see cref="IJSRuntime"/> that runs in a Playwright page, so the browser library's C# runs unchanged against a
/// real browser from the test process. <c>import</c> of a module maps to the module's source on disk (loaded into the
/// page from a blob URL), since no app of ours serves the library's static web assets; JS object references become
/// Playwright handles; a rejected promise surfaces as <see cref="JSException"/> like in Blazor.
/// </summary>
public sealed class PlaywrightJSRuntime(IPage page, IReadOnlyDictionary<string, string> modules) : IJSRuntime
{
    public ValueTask<TValue> InvokeAsync<TValue>(string identifier, object?[]? args) =>
        InvokeAsync<TValue>(identifier, CancellationToken.None, args);

    public async ValueTask<TValue> InvokeAsync<TValue>(string identifier, CancellationToken cancellationToken, object?[]? args)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (identifier == "import" && typeof(TValue) == typeof(IJSObjectReference))
        {
            string specifier = (string)args![0]!;
            string source = modules.TryGetValue(specifier, out string? path)
                ? await File.ReadAllTextAsync(path, cancellationToken)
                : throw new JSException($"No module {specifier} is known to the test runtime.");
            IJSHandle module = await Bridge(() => page.EvaluateHandleAsync(
                "async source => await import(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })))", source));
            return (TValue)(object)new PlaywrightJSObjectReference(module);
        }

        throw new NotSupportedException($"The test runtime only imports modules, not {identifier}.");
    }

    internal static async Task<T> Bridge<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (PlaywrightException e)
        {
            throw new JSException(e.Message, e);
        }
    }
}

/// <summary>A JS object (a module or an IndexedDB connection) held as a Playwright handle.</summary>
public sealed class PlaywrightJSObjectReference(IJSHandle handle) : IJSObjectReference
{
    private const string Call = "(target, [name, args]) => target[name](...args)";

    public IJSHandle Handle { get; } = handle;

    public ValueTask<TValue> InvokeAsync<TValue>(string identifier, object?[]? args) =>
        InvokeAsync<TValue>(identifier, CancellationToken.None, args);

    public async ValueTask<TValue> InvokeAsync<TValue>(string identifier, CancellationToken cancellationToken, object?[]? args)
    {
        cancellationToken.ThrowIfCancellationRequested();
        object?[] arguments = [.. (args ?? []).Select(a => a is PlaywrightJSObjectReference r ? r.Handle : a)];
        object[] call = [identifier, arguments];
        if (typeof(TValue) == typeof(IJSObjectReference))
        {
            IJSHandle result = await PlaywrightJSRuntime.Bridge(() => Handle.EvaluateHandleAsync(Call, call));
            return (TValue)(object)new PlaywrightJSObjectReference(result);
        }

        if (typeof(TValue) == typeof(Microsoft.JSInterop.Infrastructure.IJSVoidResult))
        {
            await PlaywrightJSRuntime.Bridge(() => Handle.EvaluateAsync<JsonElement?>($"async (t, a) => {{ await ({Call})(t, a); return null; }}", call));
            return default!;
        }

        return await PlaywrightJSRuntime.Bridge(() => Handle.EvaluateAsync<TValue>(Call, call));
    }

    public async ValueTask DisposeAsync() => await Handle.DisposeAsync();
}
