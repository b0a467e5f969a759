using System.Text;
using Tether.Server.PostgreSql.Internal.Sequencing;

namespace Tether.Server.PostgreSql.Tests.Sequencing;

/// <summary>The marker a write batch emits into its transaction, as written and as the decoder reads it.</summary>
public sealed class MarkerMessageTests
{
    [Fact]
    public void A_marker_is_compact_json_and_reads_back_as_written()
    {
        byte[] bytes = MarkerMessage.Format("node-1:42", [("todo", "t1", "client-a", 7), ("todo", "t\"2", "client-b", long.MaxValue)], ["u1", "ü2"]);

        Assert.Equal("""{"k":"node-1:42","w":[["todo","t1","client-a",7],["todo","t\u00222","client-b",9223372036854775807]],"g":["u1","\u00FC2"]}""", Encoding.UTF8.GetString(bytes));
        MarkerMessage marker = MarkerMessage.Parse(bytes);
        Assert.Equal("node-1:42", marker.Key);
        Assert.Equal(["u1", "ü2"], marker.Users);
        Assert.Equal(2, marker.WriterCount);
        Assert.True(marker.TryGetWriter("todo", "t1", out string client, out long mutation));
        Assert.Equal(("client-a", 7L), (client, mutation));
        Assert.True(marker.TryGetWriter("todo", "t\"2", out client, out mutation));
        Assert.Equal(("client-b", long.MaxValue), (client, mutation));
        Assert.False(marker.TryGetWriter("note", "t1", out _, out _));
    }

    [Fact]
    public void A_fence_is_its_key_alone()
    {
        byte[] bytes = MarkerMessage.Format("fence-3", [], []);

        Assert.Equal("""{"k":"fence-3"}""", Encoding.UTF8.GetString(bytes));
        MarkerMessage fence = MarkerMessage.Parse(bytes);
        Assert.Equal("fence-3", fence.Key);
        Assert.Empty(fence.Users);
        Assert.Equal(0, fence.WriterCount);
    }

    [Fact]
    public void The_last_write_of_a_record_names_its_mutation_and_members_the_reader_does_not_know_are_skipped()
    {
        MarkerMessage marker = MarkerMessage.Parse("""
            {"v":{"x":[1,2]},"k":"b","w":[["todo","t1","c",1],["todo","t1","c",2]],"later":"x"}
            """u8);

        Assert.Equal("b", marker.Key);
        Assert.True(marker.TryGetWriter("todo", "t1", out _, out long mutation));
        Assert.Equal(2, mutation);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("{}")]
    [InlineData("""{"k":""}""")]
    [InlineData("""{"k":42}""")]
    [InlineData("""{"k":null}""")]
    [InlineData("""{"k":"a","k":"b"}""")]
    [InlineData("""{"k":"a"} {"k":"b"}""")]
    [InlineData("""{"k":"a","w":{}}""")]
    [InlineData("""{"k":"a","w":[["todo","t1","c"]]}""")]
    [InlineData("""{"k":"a","w":[["todo","t1","c",1,2]]}""")]
    [InlineData("""{"k":"a","w":[["todo","t1","c","1"]]}""")]
    [InlineData("""{"k":"a","w":[["todo","t1","c",1.5]]}""")]
    [InlineData("""{"k":"a","w":[["todo",null,"c",1]]}""")]
    [InlineData("""{"k":"a","g":["u1",2]}""")]
    [InlineData("""{"k":"a","g":"u1"}""")]
    [InlineData("""{"k":"a","g":["u1"]""")]
    public void A_malformed_marker_is_refused(string text)
        => Assert.Throws<FormatException>(() => MarkerMessage.Parse(Encoding.UTF8.GetBytes(text)));
}
