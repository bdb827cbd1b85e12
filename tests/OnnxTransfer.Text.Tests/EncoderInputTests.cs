using OnnxTransfer.TestSupport;
using OnnxTransfer.Text.Encoder;

namespace OnnxTransfer.Text.Tests;

/// <summary>Encoder inputs from real SST-2 sentences: dynamic padding, length bucketing, order restored, masks right.</summary>
[TestFixture]
public sealed class EncoderInputTests
{
    private BertTokenizer _tokenizer = null!;
    private string[] _sentences = null!;

    [OneTimeSetUp]
    public void Load()
    {
        _tokenizer = BertTokenizer.FromDirectory(SharedData.BertBaseUncasedTokenizer);
        _sentences = [.. File.ReadLines(SharedData.Sst2Train).Take(1000).Select(l => l[(l.IndexOf(' ') + 1)..])];
    }

    [Test]
    public void Batches_CoverEveryRowOnce_WithMasksIdsAndTypesOfItsOwnEncoding()
    {
        var builder = new EncoderInputBuilder(_tokenizer, new EncoderInputSettings { MaxLength = 64 });
        var encodings = _sentences.Select(s => builder.Encode(s).Encoding!).ToArray();
        var seen = new int[encodings.Length];
        var batches = 0;

        foreach (var batch in builder.Batches<long>(encodings, new LengthBucketingBatcher(maxBatchSize: 32)))
        {
            batches++;
            var t = batch.SequenceLength;
            Assert.That(batch.Shape, Is.EqualTo(new long[] { batch.BatchSize, t }));
            Assert.That(t, Is.EqualTo(batch.RowIndices.ToArray().Max(r => encodings[r].Length)), "padded to the longest row of the batch");
            for (var b = 0; b < batch.BatchSize; b++)
            {
                var row = batch.RowIndices[b];
                seen[row]++;
                var encoding = encodings[row];
                var ids = batch.InputIds.Span.Slice(b * t, t);
                var mask = batch.AttentionMask.Span.Slice(b * t, t);
                var types = batch.TokenTypeIds.Span.Slice(b * t, t);
                for (var k = 0; k < t; k++)
                {
                    var real = k < encoding.Length;
                    Assert.That(ids[k], Is.EqualTo(real ? encoding.Ids[k] : _tokenizer.PaddingId));
                    Assert.That(mask[k], Is.EqualTo(real ? 1L : 0L));
                    Assert.That(types[k], Is.EqualTo(real ? encoding.TypeIds[k] : 0L));
                }
                Assert.That(batch.TokenCounts[b], Is.EqualTo(encoding.Length));
                Assert.That(batch.TruncatedTokenCounts[b], Is.EqualTo(encoding.TruncatedTokenCount));
            }
        }

        Assert.That(seen, Is.All.EqualTo(1), "every row in exactly one batch");
        Assert.That(batches, Is.EqualTo((encodings.Length + 31) / 32));
    }

    [Test]
    public void LengthBucketing_PadsFarLessThanArrivalOrder()
    {
        var builder = new EncoderInputBuilder(_tokenizer);
        var encodings = _sentences.Select(s => builder.Encode(s).Encoding!).ToArray();
        var lengths = encodings.Select(e => e.Length).ToArray();

        long bucketedPadding = 0, arrivalPadding = 0;
        foreach (var rows in new LengthBucketingBatcher(32).Plan(lengths))
        {
            var longest = rows.Max(r => lengths[r]);
            bucketedPadding += rows.Sum(r => longest - lengths[r]);
        }
        foreach (var rows in lengths.Chunk(32))
        {
            var longest = rows.Max();
            arrivalPadding += rows.Sum(l => longest - l);
        }
        TestContext.Out.WriteLine($"padding tokens: {bucketedPadding} bucketed vs {arrivalPadding} in arrival order");
        Assert.That(bucketedPadding * 5, Is.LessThan(arrivalPadding), "bucketing should remove at least 80% of the padding");
    }

    [Test]
    public void ScatterRows_PutsEachBatchResultBackAtItsOriginalRow()
    {
        var builder = new EncoderInputBuilder(_tokenizer);
        var encodings = _sentences.Take(100).Select(s => builder.Encode(s).Encoding!).ToArray();
        const int width = 3;
        var all = new float[encodings.Length * width];
        foreach (var batch in builder.Batches<int>(encodings, new LengthBucketingBatcher(16)))
        {
            // A fake "model output": each row's original index and length, so a misplaced row shows.
            var output = new float[batch.BatchSize * width];
            for (var b = 0; b < batch.BatchSize; b++)
            {
                output[b * width] = batch.RowIndices[b];
                output[b * width + 1] = batch.TokenCounts[b];
                output[b * width + 2] = 1;
            }
            batch.ScatterRows<float>(output, all, width);
        }
        for (var row = 0; row < encodings.Length; row++)
        {
            Assert.That(all[row * width], Is.EqualTo(row));
            Assert.That(all[row * width + 1], Is.EqualTo(encodings[row].Length));
            Assert.That(all[row * width + 2], Is.EqualTo(1));
        }
    }

    [Test]
    public void TokenBudget_KeepsBatchesUnderMaxTokens_AndAnOverlongRowAlone()
    {
        int[] lengths = [5, 50, 7, 9, 300, 40, 41, 8, 6, 45];
        var plan = new LengthBucketingBatcher(maxBatchSize: 8, maxTokensPerBatch: 100).Plan(lengths);
        Assert.That(plan.SelectMany(r => r).Order(), Is.EqualTo(Enumerable.Range(0, lengths.Length)));
        foreach (var rows in plan)
        {
            var cost = rows.Length * rows.Max(r => lengths[r]);
            Assert.That(cost <= 100 || rows.Length == 1, $"batch [{string.Join(",", rows)}] costs {cost}");
        }
        Assert.That(plan.Last(), Is.EqualTo(new[] { 4 }), "the 300-token row goes alone");
    }

    [Test]
    public void Truncation_IsReportedPerRow_OrRefusedWhenConfigured()
    {
        var longText = string.Join(" ", Enumerable.Repeat("wonderful", 40));
        var truncating = new EncoderInputBuilder(_tokenizer, new EncoderInputSettings { MaxLength = 16 });
        var row = truncating.Encode(longText);
        Assert.That(row.Encoding!.Length, Is.EqualTo(16));
        Assert.That(row.Encoding.TruncatedTokenCount, Is.EqualTo(40 + 2 - 16));
        Assert.That(row.Encoding.Tokens[^1], Is.EqualTo("[SEP]"));

        var refusing = new EncoderInputBuilder(_tokenizer, new EncoderInputSettings { MaxLength = 16, OverLength = OverLengthPolicy.Refuse });
        var refused = refusing.Encode(longText);
        Assert.That(refused.IsError, Is.True);
        Assert.That(refused.Error, Does.Contain("42 tokens").And.Contain("16"));
        Assert.That(refused.ErrorCode, Is.EqualTo(Input.TextErrorCodes.TooManyTokens));
        Assert.That(refusing.Encode("short and fine").IsError, Is.False);
    }

    [Test]
    public void MinimumLength_PadsPastTheLongestRow_SoASubsetRunsAtItsPlannedLength()
    {
        var builder = new EncoderInputBuilder(_tokenizer);
        var encodings = new[] { builder.Encode("a b c").Encoding!, builder.Encode("a").Encoding!, builder.Encode("a b c d e f g").Encoding! };
        var batch = new EncoderBatch<int>();
        batch.Fill(encodings, [0, 1], _tokenizer.PaddingId, minimumLength: encodings[2].Length);
        Assert.That(batch.SequenceLength, Is.EqualTo(9), "the planned batch's longest row (left out) sets the length");
        Assert.That(batch.AttentionMask.Span[..9].ToArray(), Is.EqualTo(new[] { 1, 1, 1, 1, 1, 0, 0, 0, 0 }));
        Assert.That(batch.InputIds.Span[14..18].ToArray(), Is.All.EqualTo(_tokenizer.PaddingId));
        batch.Fill(encodings, [0, 2], _tokenizer.PaddingId, minimumLength: 2);
        Assert.That(batch.SequenceLength, Is.EqualTo(9), "a shorter minimum changes nothing");
    }

    [Test]
    public void PadToMultipleOf_AndLeftPadding()
    {
        var builder = new EncoderInputBuilder(_tokenizer, new EncoderInputSettings { PadToMultipleOf = 8, PaddingSide = SequenceSide.Left });
        var encodings = new[] { builder.Encode("a b c").Encoding!, builder.Encode("a").Encoding! };
        var batch = builder.Batches<long>(encodings, new LengthBucketingBatcher(4)).Single();
        Assert.That(batch.SequenceLength, Is.EqualTo(8));
        // Rows come shortest first: "a" (3 tokens) then "a b c" (5 tokens), each right-aligned.
        Assert.That(batch.RowIndices.ToArray(), Is.EqualTo(new[] { 1, 0 }));
        Assert.That(batch.AttentionMask.Span[..8].ToArray(), Is.EqualTo(new long[] { 0, 0, 0, 0, 0, 1, 1, 1 }));
        Assert.That(batch.InputIds.Span[5..8].ToArray(), Is.EqualTo(encodings[1].Ids.ToArray().Select(i => (long)i)));
    }

    [Test]
    public void Settings_BeyondTheModelLimit_AreRefusedUpFront()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new EncoderInputBuilder(_tokenizer, new EncoderInputSettings { MaxLength = 1024 }));
        Assert.That(e!.Message, Does.Contain("512"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EncoderInputBuilder(_tokenizer, new EncoderInputSettings { MaxLength = 2 }));
    }
}
