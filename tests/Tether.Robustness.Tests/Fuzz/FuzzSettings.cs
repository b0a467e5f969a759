using System.Globalization;

namespace Tether.Robustness.Tests.Fuzz;

/// <summary>How much each fuzz group tries. CI runs <see cref="DefaultInputs"/> inputs per group; set
/// <c>TETHER_FUZZ_INPUTS</c> for more, and <c>TETHER_FUZZ_SEED</c> to explore other inputs (every group's fixed seed
/// is offset by it, and the failure message names the seed to reproduce with).</summary>
internal static class FuzzSettings
{
    public const int DefaultInputs = 2_000;

    public static int InputsPerGroup => Read("TETHER_FUZZ_INPUTS") ?? DefaultInputs;

    public static int Seed(int groupSeed) => groupSeed + (Read("TETHER_FUZZ_SEED") ?? 0);

    public static int? Read(string variable)
        => int.TryParse(Environment.GetEnvironmentVariable(variable), NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) && value > 0 ? value : null;
}
