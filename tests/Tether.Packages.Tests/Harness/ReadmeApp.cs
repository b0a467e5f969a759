using System.Text.RegularExpressions;

namespace Tether.Packages.Tests.Harness;

/// <summary>
/// The app of the README's "Use Tether in your app", read from the README itself so that what the test builds is what
/// a reader copies: each fenced block after a <c>&lt;!-- packages-test: NAME --&gt;</c> marker, by name ("commands",
/// or the file the block is).
/// </summary>
public static partial class ReadmeApp
{
    public static IReadOnlyDictionary<string, string> Blocks { get; } = Read();

    /// <summary>The shell commands, one per entry (a line's <c>&amp;&amp;</c> splits it), each as its arguments.</summary>
    public static IEnumerable<string[]> Commands =>
        Blocks["commands"].Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .SelectMany(line => line.Split("&&", StringSplitOptions.TrimEntries))
            .Select(command => command.Split(' ', StringSplitOptions.RemoveEmptyEntries));

    /// <summary>The source files, by path relative to the app's directory.</summary>
    public static IEnumerable<KeyValuePair<string, string>> Files => Blocks.Where(b => b.Key != "commands");

    private static Dictionary<string, string> Read()
    {
        string readme = File.ReadAllText(Path.Combine(Repository.Root, "README.md")).ReplaceLineEndings("\n");
        var blocks = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match match in Block().Matches(readme))
        {
            blocks.Add(match.Groups["name"].Value, match.Groups["body"].Value);
        }
        return blocks;
    }

    [GeneratedRegex(@"<!-- packages-test: (?<name>\S+) -->\n```[a-z]*\n(?<body>.*?)```", RegexOptions.Singleline)]
    private static partial Regex Block();
}
