using System.Globalization;
using System.Text;
using Tether.EntityFrameworkCore.Internal;

namespace Tether.EntityFrameworkCore.Tests;

/// <summary>Which stored dates the SQLite bootstrap serves as its SQL writes them: exactly EF Core's own text of a
/// valid date and time; any other text is served through EF Core.</summary>
public sealed class SqliteDateTextTests
{
    [Theory]
    [InlineData("2024-01-02 03:04:05", true)]
    [InlineData("2024-01-02 03:04:05.5", true)]
    [InlineData("2024-01-02 03:04:05.1234567", true)]
    [InlineData("2024-02-29 23:59:59", true)]
    [InlineData("0001-01-01 00:00:00", true)]
    [InlineData("9999-12-31 23:59:59.9999999", true)]
    [InlineData("2024-01-02 03:04:05.", false)]
    [InlineData("2024-01-02 03:04:05.50", false)]
    [InlineData("2024-01-02 03:04:05.12345678", false)]
    [InlineData("2024-01-02 03:04:05.1x", false)]
    [InlineData("2024-01-02T03:04:05", false)]
    [InlineData("2024-01-02 3:04:05", false)]
    [InlineData("2024-1-02 03:04:05", false)]
    [InlineData("2023-02-29 03:04:05", false)]
    [InlineData("2024-04-31 03:04:05", false)]
    [InlineData("2024-13-01 03:04:05", false)]
    [InlineData("2024-00-01 03:04:05", false)]
    [InlineData("0000-01-01 03:04:05", false)]
    [InlineData("2024-01-02 24:00:00", false)]
    [InlineData("2024-01-02 03:60:05", false)]
    [InlineData("2024-01-02 03:04:60", false)]
    [InlineData("2024-01-02 03:04:05Z", false)]
    [InlineData("2024-01-02", false)]
    [InlineData("", false)]
    public void A_date_time_is_canonical_only_in_ef_cores_own_text(string text, bool canonical)
    {
        Assert.Equal(canonical, SqliteDateText.IsCanonical(Encoding.UTF8.GetBytes(text), withOffset: false));
        if (canonical)
        {
            // The text System.Text.Json writes for what EF Core reads is the stored one with a 'T'.
            DateTime value = DateTime.ParseExact(text, "yyyy-MM-dd HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture);
            Assert.Equal($"\"{text[..10]}T{text[11..]}\"", System.Text.Json.JsonSerializer.Serialize(value));
        }
    }

    [Theory]
    [InlineData("2024-01-02 03:04:05+00:00", true)]
    [InlineData("2024-01-02 03:04:05.25+05:30", true)]
    [InlineData("2024-01-02 03:04:05-08:00", true)]
    [InlineData("2024-01-02 03:04:05+14:00", true)]
    [InlineData("2024-01-02 03:04:05-14:00", true)]
    [InlineData("0001-01-01 00:00:00+00:00", true)]
    [InlineData("9999-12-31 23:59:59+00:00", true)]
    [InlineData("2024-01-02 03:04:05-00:00", false)]
    [InlineData("2024-01-02 03:04:05+14:01", false)]
    [InlineData("2024-01-02 03:04:05+05:60", false)]
    [InlineData("2024-01-02 03:04:05+0530", false)]
    [InlineData("2024-01-02 03:04:05 05:30", false)]
    [InlineData("2024-01-02 03:04:05.500+02:00", false)]
    [InlineData("2024-01-02 03:04:05", false)]
    [InlineData("0001-01-01 00:00:00+01:00", false)]
    [InlineData("9999-12-31 23:59:59-01:00", false)]
    public void A_date_time_with_an_offset_is_canonical_only_in_ef_cores_own_text_and_within_its_range(string text, bool canonical)
    {
        Assert.Equal(canonical, SqliteDateText.IsCanonical(Encoding.UTF8.GetBytes(text), withOffset: true));
        if (canonical)
        {
            DateTimeOffset value = DateTimeOffset.ParseExact(text, "yyyy-MM-dd HH:mm:ss.FFFFFFFzzz", CultureInfo.InvariantCulture);
            Assert.Equal($"\"{text[..10]}T{text[11..]}\"", System.Text.Json.JsonSerializer.Serialize(value));
        }
    }
}
