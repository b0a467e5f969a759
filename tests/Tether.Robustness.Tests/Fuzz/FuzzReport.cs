using System.Text;

namespace Tether.Robustness.Tests.Fuzz;

/// <summary>The outcome of one fuzz group: every failing input with what went wrong, and a count of the answers.
/// It fails the test once, at the end, naming the seed, so one run shows every kind of input that fails.</summary>
internal sealed class FuzzReport(string group, int seed)
{
    private const int ExamplesPerProblem = 4;
    private readonly List<(string Problem, string Example)> _failures = [];
    private readonly SortedDictionary<string, int> _outcomes = new(StringComparer.Ordinal);

    public int Inputs { get; private set; }

    public void Count(string outcome)
    {
        Inputs++;
        _outcomes[outcome] = _outcomes.GetValueOrDefault(outcome) + 1;
    }

    /// <summary>A failing input. A problem may carry evidence after " | " (the frame that showed it), which is shown
    /// with the input rather than in the problem's heading.</summary>
    public void Fail(int index, string input, string problem)
    {
        int evidence = problem.IndexOf(" | ", StringComparison.Ordinal);
        _failures.Add(evidence < 0 ? (problem, $"#{index} {input}") : (problem[..evidence], $"#{index} {input}\n      answered: {problem[(evidence + 3)..]}"));
    }

    /// <summary>A failure that belongs to no single input (the state of the host after the group).</summary>
    public void Fail(string problem) => _failures.Add((problem, "after the group"));

    public void AssertClean()
    {
        string summary = $"{group}: {Inputs} inputs, seed {seed}; answers: " + string.Join(", ", _outcomes.Select(o => $"{o.Key} ×{o.Value}"));
        TestContext.Current.TestOutputHelper?.WriteLine(summary);
        if (_failures.Count == 0)
        {
            return;
        }
        var message = new StringBuilder();
        message.AppendLine($"{_failures.Count} failures. {summary}.");
        message.AppendLine("Reproduce with `dotnet test tests/Tether.Robustness.Tests` (each group's seed is fixed; TETHER_FUZZ_SEED offsets it).");
        foreach (IGrouping<string, (string Problem, string Example)> problem in _failures.GroupBy(f => f.Problem))
        {
            message.AppendLine($"{problem.Key}: {problem.Count()} inputs, e.g.");
            foreach ((_, string example) in problem.Take(ExamplesPerProblem))
            {
                message.AppendLine("    " + example);
            }
        }
        Assert.Fail(message.ToString());
    }
}
